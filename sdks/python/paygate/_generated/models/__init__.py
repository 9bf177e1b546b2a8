"""Contains all the data models used in inputs/outputs"""

from .accept_invitation_request import AcceptInvitationRequest
from .accept_invitation_response_200 import AcceptInvitationResponse200
from .action_failure import ActionFailure
from .add_checkout_domain_request import AddCheckoutDomainRequest
from .address import Address
from .address_input import AddressInput
from .amount_split import AmountSplit
from .api_key import ApiKey
from .api_key_with_secret import ApiKeyWithSecret
from .audit_actor import AuditActor
from .audit_actor_type import AuditActorType
from .audit_entry import AuditEntry
from .cancel_subscription_request import CancelSubscriptionRequest
from .cancel_subscription_request_reason import CancelSubscriptionRequestReason
from .cancellation_details import CancellationDetails
from .cancellation_details_reason_type_1 import CancellationDetailsReasonType1
from .cancellation_details_reason_type_2_type_1 import (
    CancellationDetailsReasonType2Type1,
)
from .cancellation_details_reason_type_3_type_1 import (
    CancellationDetailsReasonType3Type1,
)
from .capture_method import CaptureMethod
from .capture_request import CaptureRequest
from .change_password_request import ChangePasswordRequest
from .checkout import Checkout
from .checkout_domain import CheckoutDomain
from .checkout_metadata import CheckoutMetadata
from .checkout_status import CheckoutStatus
from .create_api_key_request import CreateApiKeyRequest
from .create_api_key_request_mode import CreateApiKeyRequestMode
from .create_checkout_request import CreateCheckoutRequest
from .create_checkout_request_capture_method import CreateCheckoutRequestCaptureMethod
from .create_checkout_request_metadata_type_0 import CreateCheckoutRequestMetadataType0
from .create_plan_request import CreatePlanRequest
from .create_plan_request_interval import CreatePlanRequestInterval
from .create_portal_session_request import CreatePortalSessionRequest
from .create_provider_request import CreateProviderRequest
from .create_provider_request_type import CreateProviderRequestType
from .create_refund_request import CreateRefundRequest
from .create_site_request import CreateSiteRequest
from .create_subscription_request import CreateSubscriptionRequest
from .currency_summary import CurrencySummary
from .customer import Customer
from .customer_input import CustomerInput
from .customer_input_language import CustomerInputLanguage
from .customer_language import CustomerLanguage
from .customer_record import CustomerRecord
from .customer_record_language import CustomerRecordLanguage
from .customer_record_metadata import CustomerRecordMetadata
from .customer_request import CustomerRequest
from .customer_request_language import CustomerRequestLanguage
from .customer_request_metadata_type_0 import CustomerRequestMetadataType0
from .deleted_checkout_domain import DeletedCheckoutDomain
from .deleted_provider import DeletedProvider
from .deleted_tax_rule import DeletedTaxRule
from .dispute import Dispute
from .document_line import DocumentLine
from .document_party import DocumentParty
from .domain_challenge import DomainChallenge
from .domain_verification import DomainVerification
from .error_body import ErrorBody
from .error_object import ErrorObject
from .error_object_type import ErrorObjectType
from .export_transactions_status import ExportTransactionsStatus
from .failed_transaction import FailedTransaction
from .get_jobs_status_response_200 import GetJobsStatusResponse200
from .get_open_api_document_response_200 import GetOpenApiDocumentResponse200
from .invite_user_request import InviteUserRequest
from .invite_user_request_role import InviteUserRequestRole
from .invited_user import InvitedUser
from .ipn_attempt import IpnAttempt
from .ipn_delivery import IpnDelivery
from .key_mode import KeyMode
from .line_item import LineItem
from .line_item_input import LineItemInput
from .list_api_keys_response_200 import ListApiKeysResponse200
from .list_audit_log_response_200 import ListAuditLogResponse200
from .list_checkouts_response_200 import ListCheckoutsResponse200
from .list_checkouts_status import ListCheckoutsStatus
from .list_credit_notes_response_200 import ListCreditNotesResponse200
from .list_customers_response_200 import ListCustomersResponse200
from .list_invoices_response_200 import ListInvoicesResponse200
from .list_ipn_deliveries_response_200 import ListIpnDeliveriesResponse200
from .list_ipn_deliveries_status import ListIpnDeliveriesStatus
from .list_plans_active import ListPlansActive
from .list_plans_response_200 import ListPlansResponse200
from .list_providers_response_200 import ListProvidersResponse200
from .list_sites_response_200 import ListSitesResponse200
from .list_subscriptions_response_200 import ListSubscriptionsResponse200
from .list_subscriptions_status import ListSubscriptionsStatus
from .list_tax_rules_response_200 import ListTaxRulesResponse200
from .list_test_clocks_response_200 import ListTestClocksResponse200
from .list_transactions_response_200 import ListTransactionsResponse200
from .list_transactions_status import ListTransactionsStatus
from .list_users_response_200 import ListUsersResponse200
from .login_request import LoginRequest
from .me import Me
from .me_organization import MeOrganization
from .mfa_request import MfaRequest
from .organization import Organization
from .payment_method_type_0 import PaymentMethodType0
from .payment_method_type_0_type import PaymentMethodType0Type
from .payment_method_type_1 import PaymentMethodType1
from .payment_method_type_1_type import PaymentMethodType1Type
from .payment_method_type_2 import PaymentMethodType2
from .payment_method_type_2_type import PaymentMethodType2Type
from .plan import Plan
from .plan_interval import PlanInterval
from .portal_session_created import PortalSessionCreated
from .provider import Provider
from .provider_credentials import ProviderCredentials
from .provider_type import ProviderType
from .provider_with_secret import ProviderWithSecret
from .queue_status import QueueStatus
from .rate_total import RateTotal
from .recovery_codes import RecoveryCodes
from .refresh_request import RefreshRequest
from .refund import Refund
from .refund_status import RefundStatus
from .resume_subscription_request import ResumeSubscriptionRequest
from .sandbox_event import SandboxEvent
from .sandbox_event_request import SandboxEventRequest
from .sandbox_event_request_type import SandboxEventRequestType
from .seed_eu_tax_rules_response_200 import SeedEuTaxRulesResponse200
from .sign_in_answer import SignInAnswer
from .site import Site
from .site_with_secret import SiteWithSecret
from .subscription import Subscription
from .subscription_status import SubscriptionStatus
from .summary import Summary
from .tax_document import TaxDocument
from .tax_document_language import TaxDocumentLanguage
from .tax_rule import TaxRule
from .tax_rule_request import TaxRuleRequest
from .test_clock import TestClock
from .test_clock_request import TestClockRequest
from .timeline_entry import TimelineEntry
from .totp_code_request import TotpCodeRequest
from .totp_setup import TotpSetup
from .transaction import Transaction
from .transaction_next_action_type_0 import TransactionNextActionType0
from .transaction_status import TransactionStatus
from .transaction_timeline import TransactionTimeline
from .upcoming_charge import UpcomingCharge
from .update_organization_request import UpdateOrganizationRequest
from .update_plan_request import UpdatePlanRequest
from .update_provider_request import UpdateProviderRequest
from .update_site_request import UpdateSiteRequest
from .update_subscription_request import UpdateSubscriptionRequest
from .update_user_request import UpdateUserRequest
from .update_user_request_role import UpdateUserRequestRole
from .user import User
from .user_role import UserRole
from .user_status import UserStatus

__all__ = (
    "AcceptInvitationRequest",
    "AcceptInvitationResponse200",
    "ActionFailure",
    "AddCheckoutDomainRequest",
    "Address",
    "AddressInput",
    "AmountSplit",
    "ApiKey",
    "ApiKeyWithSecret",
    "AuditActor",
    "AuditActorType",
    "AuditEntry",
    "CancelSubscriptionRequest",
    "CancelSubscriptionRequestReason",
    "CancellationDetails",
    "CancellationDetailsReasonType1",
    "CancellationDetailsReasonType2Type1",
    "CancellationDetailsReasonType3Type1",
    "CaptureMethod",
    "CaptureRequest",
    "ChangePasswordRequest",
    "Checkout",
    "CheckoutDomain",
    "CheckoutMetadata",
    "CheckoutStatus",
    "CreateApiKeyRequest",
    "CreateApiKeyRequestMode",
    "CreateCheckoutRequest",
    "CreateCheckoutRequestCaptureMethod",
    "CreateCheckoutRequestMetadataType0",
    "CreatePlanRequest",
    "CreatePlanRequestInterval",
    "CreatePortalSessionRequest",
    "CreateProviderRequest",
    "CreateProviderRequestType",
    "CreateRefundRequest",
    "CreateSiteRequest",
    "CreateSubscriptionRequest",
    "CurrencySummary",
    "Customer",
    "CustomerInput",
    "CustomerInputLanguage",
    "CustomerLanguage",
    "CustomerRecord",
    "CustomerRecordLanguage",
    "CustomerRecordMetadata",
    "CustomerRequest",
    "CustomerRequestLanguage",
    "CustomerRequestMetadataType0",
    "DeletedCheckoutDomain",
    "DeletedProvider",
    "DeletedTaxRule",
    "Dispute",
    "DocumentLine",
    "DocumentParty",
    "DomainChallenge",
    "DomainVerification",
    "ErrorBody",
    "ErrorObject",
    "ErrorObjectType",
    "ExportTransactionsStatus",
    "FailedTransaction",
    "GetJobsStatusResponse200",
    "GetOpenApiDocumentResponse200",
    "InviteUserRequest",
    "InviteUserRequestRole",
    "InvitedUser",
    "IpnAttempt",
    "IpnDelivery",
    "KeyMode",
    "LineItem",
    "LineItemInput",
    "ListApiKeysResponse200",
    "ListAuditLogResponse200",
    "ListCheckoutsResponse200",
    "ListCheckoutsStatus",
    "ListCreditNotesResponse200",
    "ListCustomersResponse200",
    "ListInvoicesResponse200",
    "ListIpnDeliveriesResponse200",
    "ListIpnDeliveriesStatus",
    "ListPlansActive",
    "ListPlansResponse200",
    "ListProvidersResponse200",
    "ListSitesResponse200",
    "ListSubscriptionsResponse200",
    "ListSubscriptionsStatus",
    "ListTaxRulesResponse200",
    "ListTestClocksResponse200",
    "ListTransactionsResponse200",
    "ListTransactionsStatus",
    "ListUsersResponse200",
    "LoginRequest",
    "Me",
    "MeOrganization",
    "MfaRequest",
    "Organization",
    "PaymentMethodType0",
    "PaymentMethodType0Type",
    "PaymentMethodType1",
    "PaymentMethodType1Type",
    "PaymentMethodType2",
    "PaymentMethodType2Type",
    "Plan",
    "PlanInterval",
    "PortalSessionCreated",
    "Provider",
    "ProviderCredentials",
    "ProviderType",
    "ProviderWithSecret",
    "QueueStatus",
    "RateTotal",
    "RecoveryCodes",
    "RefreshRequest",
    "Refund",
    "RefundStatus",
    "ResumeSubscriptionRequest",
    "SandboxEvent",
    "SandboxEventRequest",
    "SandboxEventRequestType",
    "SeedEuTaxRulesResponse200",
    "SignInAnswer",
    "Site",
    "SiteWithSecret",
    "Subscription",
    "SubscriptionStatus",
    "Summary",
    "TaxDocument",
    "TaxDocumentLanguage",
    "TaxRule",
    "TaxRuleRequest",
    "TestClock",
    "TestClockRequest",
    "TimelineEntry",
    "TotpCodeRequest",
    "TotpSetup",
    "Transaction",
    "TransactionNextActionType0",
    "TransactionStatus",
    "TransactionTimeline",
    "UpcomingCharge",
    "UpdateOrganizationRequest",
    "UpdatePlanRequest",
    "UpdateProviderRequest",
    "UpdateSiteRequest",
    "UpdateSubscriptionRequest",
    "UpdateUserRequest",
    "UpdateUserRequestRole",
    "User",
    "UserRole",
    "UserStatus",
)
