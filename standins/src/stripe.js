// A stand-in for Stripe.js v3, served by the Stripe stand-in at /v3/ for browser tests.
// It implements only what Paygate's checkout page calls: Stripe(publishableKey),
// .elements().create('card').mount(target) and .createPaymentMethod({type: 'card', card}).
// The "card element" is one text input in which the tester types one of Stripe's test
// PaymentMethod ids (pm_card_visa, pm_card_threeDSecure2Required, pm_card_chargeDeclined, …):
// the id it resolves is exactly what was typed, as the stand-in API knows those ids.
(function () {
    'use strict';

    function integrationError(message) {
        var error = new Error(message);
        error.name = 'IntegrationError';
        return error;
    }

    function CardElement() {
        this.input = null;
    }

    CardElement.prototype.mount = function (target) {
        var host = typeof target === 'string' ? document.querySelector(target) : target;
        if (!host || !host.appendChild) {
            throw integrationError('The selector you specified (' + target + ') applies to no DOM elements.');
        }
        if (this.input) {
            throw integrationError('This Element is already mounted.');
        }
        var input = document.createElement('input');
        input.type = 'text';
        input.id = 'stripe-standin-card';
        input.name = 'stripe-standin-card';
        input.autocomplete = 'off';
        input.spellcheck = false;
        input.placeholder = 'Test card, e.g. pm_card_visa';
        input.setAttribute('aria-label', 'Card (a Stripe test PaymentMethod id, for example pm_card_visa)');
        host.appendChild(input);
        this.input = input;
        return this;
    };

    CardElement.prototype.focus = function () {
        if (this.input) {
            this.input.focus();
        }
    };

    function Elements() {}

    Elements.prototype.create = function (type) {
        if (type !== 'card') {
            throw integrationError('This stand-in only offers the card Element, not ' + type + '.');
        }
        return new CardElement();
    };

    function Stripe(publishableKey) {
        if (!(this instanceof Stripe)) {
            return new Stripe(publishableKey);
        }
        if (typeof publishableKey !== 'string' || !/^pk_(test|live)_/.test(publishableKey)) {
            throw integrationError('Invalid API Key provided: ' + publishableKey);
        }
        this.publishableKey = publishableKey;
    }

    Stripe.prototype.elements = function () {
        return new Elements();
    };

    Stripe.prototype.createPaymentMethod = function (params) {
        return new Promise(function (resolve) {
            var card = params && params.card;
            if (!params || params.type !== 'card' || !(card instanceof CardElement) || !card.input) {
                throw integrationError('createPaymentMethod needs {type: "card", card: <a mounted card Element>}.');
            }
            var id = card.input.value.trim();
            if (!id) {
                resolve({ error: { type: 'validation_error', code: 'incomplete_number', message: 'Your card number is incomplete.' } });
                return;
            }
            resolve({ paymentMethod: { id: id, object: 'payment_method', type: 'card' } });
        });
    };

    window.Stripe = Stripe;
}());
