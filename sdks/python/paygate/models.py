"""The API's models (generated): Checkout, Transaction, Refund, Site, …"""

from ._generated.models import *
