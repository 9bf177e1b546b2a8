// Paygate hosted checkout page. Served from this origin (CSP `script-src 'self'`, plus
// Stripe.js's origin on a Stripe site's page); amounts are never computed here: the page
// shows what the server rendered.
(function () {
    'use strict';

    var root = document.getElementById('checkout');
    if (!root) {
        return;
    }
    var checkoutId = root.getAttribute('data-checkout-id');
    var successUrl = root.getAttribute('data-success-url');
    // sandbox (test cards, UPI), stripe (Stripe Elements) or gocardless (a mandate reference).
    var provider = root.getAttribute('data-provider') || 'sandbox';
    // Set by Stripe when it sends the payer back from their bank's check (3-D Secure).
    var returnedFromBank = new URLSearchParams(window.location.search).has('redirect_status');
    // Set only when the page was opened by checkout.js for this exact merchant origin;
    // results are posted to that origin and no other.
    var embedOrigin = document.body.getAttribute('data-embed-origin');
    var embedded = !!embedOrigin && window.parent !== window;

    var form = document.getElementById('pay-form');
    var button = document.getElementById('pay-button');
    var vpaRow = document.getElementById('vpa-row');
    var vpaInput = document.getElementById('vpa');
    var mandateInput = document.getElementById('mandate');
    var stripe = null;
    var cardElement = null;
    var progress = document.getElementById('progress');
    var errorBox = document.getElementById('error');
    var successBox = document.getElementById('success');
    var successText = document.getElementById('success-text');
    var totalText = (document.querySelector('.total-amount') || {}).textContent || '';
    var merchantName = (document.querySelector('.merchant-name') || {}).textContent || 'the merchant';
    var busy = false;
    // [as the server wrote it, as the page shows it] for each date the script localised.
    var localisedDates = [];

    var FAILURE_MESSAGES = {
        card_declined: 'Your card was declined. Nothing was charged. Please try another card or payment method.',
        insufficient_funds: 'Your card has insufficient funds. Nothing was charged. Please try another card.',
        expired_card: 'Your card has expired. Nothing was charged. Please use another card.',
        processing_error: 'The payment could not be processed. Nothing was charged. Please try again or use another method.',
        upi_declined: 'The UPI payment was declined. Nothing was charged. Please try another UPI ID or a card.',
        incorrect_cvc: 'The security code of your card is incorrect. Nothing was charged. Please check it and try again.',
        payment_intent_authentication_failure: 'Your bank could not confirm this payment. Nothing was charged. Please try again or use another card.',
        authentication_required: 'Your bank asks you to confirm this payment, which did not happen. Nothing was charged. Please try again.'
    };
    var DEFAULT_FAILURE = 'The payment did not go through. Nothing was charged. Please try another payment method.';

    function notify(type, extra) {
        if (!embedded) {
            return;
        }
        var message = { source: 'paygate', type: type, checkoutId: checkoutId };
        for (var key in extra) {
            if (Object.prototype.hasOwnProperty.call(extra, key)) {
                message[key] = extra[key];
            }
        }
        window.parent.postMessage(message, embedOrigin);
    }

    function say(text) {
        progress.textContent = text;
    }

    function showError(text) {
        say('');
        errorBox.textContent = text;
        errorBox.focus();
    }

    function setBusy(value) {
        busy = value;
        if (button) {
            button.disabled = value;
            button.setAttribute('aria-busy', value ? 'true' : 'false');
        }
    }

    function selectedMethod() {
        var checked = form && form.querySelector('input[name="method"]:checked');
        return checked ? checked.value : '';
    }

    function updateVpa() {
        if (!vpaRow) {
            return;
        }
        vpaRow.hidden = selectedMethod() !== 'upi';
    }

    // The form, the cancel link and the retry path disappear for good.
    function closeForm() {
        if (form) {
            form.hidden = true;
        }
        ['cancel-link', 'close-embed', 'banner-hint'].forEach(function (id) {
            var element = document.getElementById(id);
            if (element) {
                (id === 'banner-hint' ? element : element.parentNode).hidden = true;
            }
        });
    }

    function succeed(transactionId) {
        setBusy(true);
        closeForm();
        var pending = document.getElementById('state');
        if (pending) {
            pending.hidden = true;
        }
        say('');
        errorBox.textContent = '';
        // A subscription's page carries its own words (a trial charges nothing today).
        var text = root.getAttribute('data-success-message') ||
            'Thank you. Your payment of ' + totalText + ' to ' + merchantName + ' was received.';
        // Its dates read as the page shows them.
        localisedDates.forEach(function (pair) {
            text = text.split(pair[0]).join(pair[1]);
        });
        var title = root.getAttribute('data-success-title');
        if (title) {
            successBox.querySelector('h2').textContent = title;
        }
        if (embedded) {
            text += ' This window closes in a moment.';
        } else if (successUrl) {
            text += ' Taking you back to the shop…';
        }
        successText.textContent = text;
        successBox.hidden = false;
        successBox.focus();
        window.setTimeout(function () {
            if (embedded) {
                notify('success', { transactionId: transactionId });
            } else if (successUrl) {
                var target = new URL(successUrl);
                if (target.protocol === 'https:' || target.protocol === 'http:') {
                    target.searchParams.set('checkout_id', checkoutId);
                    window.location.assign(target.toString());
                }
            }
        }, 1500);
    }

    function fail(failureCode, transactionId) {
        setBusy(false);
        showError(FAILURE_MESSAGES[failureCode] || DEFAULT_FAILURE);
        notify('failure', { failureCode: failureCode || 'payment_failed', transactionId: transactionId });
    }

    // A checkout that can no longer be paid: no form, no expiry, but still a way back to the shop.
    function closed(text) {
        setBusy(true);
        if (form) {
            form.hidden = true;
        }
        var banner = document.getElementById('banner-hint');
        if (banner) {
            banner.hidden = true;
        }
        var expiryLine = document.querySelector('.expiry');
        if (expiryLine) {
            expiryLine.hidden = true;
        }
        var cancel = document.getElementById('cancel-link');
        if (cancel) {
            cancel.textContent = 'Return to ' + merchantName;
        }
        showError(text);
    }

    var CLOSED_MESSAGES = {
        expired: 'This checkout has expired. Nothing was charged. Please return to the shop and start again.',
        canceled: 'This checkout was canceled and can no longer be paid. Please return to the shop and start again.'
    };

    var navigatingAway = false;
    var nextActionShown = false;

    // What the provider asks of the payer before it decides (Stripe's `next_action`): a
    // redirect to their bank's check, which sends them back to this page. `true` while the
    // page keeps polling.
    function followNextAction(action) {
        var redirect = action.type === 'redirect_to_url' && action.redirect_to_url && action.redirect_to_url.url;
        var target = null;
        try {
            target = redirect ? new URL(action.redirect_to_url.url) : null;
        } catch (error) {
            target = null;
        }
        if (target && (target.protocol === 'https:' || target.protocol === 'http:')) {
            if (embedded) {
                // Inside the merchant's frame the bank's page may refuse to be framed: the payer
                // opens it in a tab, and this frame shows the outcome once the bank has answered.
                if (!nextActionShown) {
                    nextActionShown = true;
                    say('Your bank needs to confirm this payment.');
                    var link = document.createElement('a');
                    link.href = target.toString();
                    link.target = '_blank';
                    link.rel = 'noopener noreferrer';
                    link.id = 'confirm-with-bank';
                    link.textContent = 'Confirm the payment with your bank (opens a new tab)';
                    progress.appendChild(document.createTextNode(' '));
                    progress.appendChild(link);
                }
                return true;
            }
            navigatingAway = true;
            say('Your bank needs to confirm this payment. Taking you there…');
            window.location.assign(target.toString());
            return false;
        }
        if (!nextActionShown) {
            // Stripe asked for its in-page flow (`use_stripe_sdk`), which needs a client secret this
            // page never holds.
            nextActionShown = true;
            showError('Your bank asks for a confirmation this page cannot show. Nothing has been charged yet. ' +
                'Please contact ' + merchantName + ' or try again later.');
        }
        return true;
    }

    // Polls the status with back-off until the payment has an outcome.
    function poll() {
        var delay = 400;
        var deadline = Date.now() + 180000;
        function again() {
            if (navigatingAway) {
                return;
            }
            if (Date.now() > deadline) {
                if (provider === 'gocardless') {
                    // Direct Debit is collected days later: nothing is wrong, there is just no outcome yet.
                    say('');
                    errorBox.textContent = '';
                    successText.textContent = 'Your Direct Debit payment of ' + totalText + ' to ' + merchantName +
                        ' was submitted. It is collected from your bank account in a few working days; ' + merchantName +
                        ' confirms it then. You can close this page.';
                    closeForm();
                    successBox.querySelector('h2').textContent = 'Direct Debit submitted';
                    successBox.hidden = false;
                    successBox.focus();
                    return;
                }
                setBusy(false);
                showError('The payment is taking longer than usual. Please do not pay again: reload this page in a minute to see its outcome.');
                return;
            }
            window.setTimeout(check, delay);
            delay = Math.min(Math.round(delay * 1.5), 4000);
        }
        function check() {
            fetch('/api/v1/checkouts/' + encodeURIComponent(checkoutId) + '/status', {
                headers: { Accept: 'application/json' },
                cache: 'no-store'
            }).then(function (response) {
                if (!response.ok) {
                    throw new Error('status ' + response.status);
                }
                return response.json();
            }).then(function (view) {
                var transaction = view.transaction;
                if (transaction && (transaction.status === 'succeeded' || transaction.status === 'requires_capture')) {
                    succeed(transaction.id);
                } else if (view.status === 'completed') {
                    succeed(transaction ? transaction.id : '');
                } else if (CLOSED_MESSAGES[view.status]) {
                    if (transaction && transaction.status === 'failed') {
                        notify('failure', { failureCode: transaction.failureCode || 'payment_failed', transactionId: transaction.id });
                    }
                    closed(CLOSED_MESSAGES[view.status]);
                } else if (transaction && transaction.status === 'failed' && view.status === 'open') {
                    fail(transaction.failureCode, transaction.id);
                } else {
                    if (transaction && transaction.nextAction && !returnedFromBank) {
                        followNextAction(transaction.nextAction);
                    }
                    again();
                }
            }).catch(again);
        }
        again();
    }

    function waitForOutcome(text) {
        setBusy(true);
        errorBox.textContent = '';
        say(text);
        poll();
    }

    function handleRefusal(response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
            var code = body && body.error ? body.error.code : '';
            if (code === 'checkout_processing' || code === 'checkout_completed') {
                // Another click or tab paid first: show that payment's outcome.
                waitForOutcome('A payment for this checkout is already under way. Waiting for its outcome…');
            } else if (code === 'checkout_expired') {
                closed(CLOSED_MESSAGES.expired);
            } else if (code === 'checkout_canceled') {
                closed(CLOSED_MESSAGES.canceled);
            } else if (code === 'too_many_attempts') {
                closed('Too many payment attempts failed, so this checkout was closed to protect you. Nothing more was charged. Please return to the shop and start again.');
            } else if (code === 'rate_limited') {
                var seconds = parseInt(response.headers.get('Retry-After') || '', 10);
                setBusy(false);
                showError('Too many payment attempts in a short time. Please wait ' +
                    (seconds > 0 ? seconds + ' seconds' : 'a minute') + ' and try again.');
            } else if (code === 'vpa_invalid') {
                setBusy(false);
                showError('That UPI ID does not look right. It looks like name@bank.');
            } else if (code === 'payment_method_invalid') {
                setBusy(false);
                showError('This payment method is not accepted. Please choose another one.');
            } else if (response.status === 404) {
                closed('This checkout no longer exists. Please return to the shop and start again.');
            } else {
                setBusy(false);
                showError('Something went wrong on our side. Nothing was charged. Please try again in a moment.');
            }
        });
    }

    function pay(event) {
        event.preventDefault();
        if (busy) {
            return;
        }
        if (provider === 'stripe') {
            payWithStripe();
            return;
        }
        if (provider === 'gocardless') {
            var mandate = mandateInput.value.trim().toUpperCase();
            if (!/^MD[0-9A-Z]+$/.test(mandate)) {
                showError('Please enter your mandate reference. It starts with MD, for example MD000123ABC.');
                mandateInput.focus();
                return;
            }
            send({ paymentMethod: mandate });
            return;
        }
        var method = selectedMethod();
        var body = { paymentMethod: method };
        if (method === 'upi') {
            var vpa = vpaInput.value.trim();
            if (!vpa) {
                showError('Please enter your UPI ID, for example name@bank.');
                vpaInput.focus();
                return;
            }
            body.vpa = vpa;
        }
        send(body);
    }

    // Stripe.js turns the card typed into Stripe's frame into a PaymentMethod id; only that id
    // reaches Paygate.
    function payWithStripe() {
        if (!stripe || !cardElement) {
            stripeUnavailable();
            return;
        }
        setBusy(true);
        errorBox.textContent = '';
        say('Checking your card…');
        stripe.createPaymentMethod({ type: 'card', card: cardElement }).then(function (result) {
            if (result.error || !result.paymentMethod) {
                setBusy(false);
                showError((result.error && result.error.message) || 'Please check your card details.');
                return;
            }
            send({ paymentMethod: result.paymentMethod.id });
        }, function () {
            setBusy(false);
            showError('We could not reach the card service. Nothing was charged. Please check your connection and try again.');
        });
    }

    function stripeUnavailable() {
        setBusy(true);
        // No card can be typed: only the explanation and the way back to the shop remain.
        closeForm();
        var cancel = document.getElementById('cancel-link') || document.getElementById('close-embed');
        if (cancel) {
            cancel.parentNode.hidden = false;
        }
        showError('The card form could not be loaded, so this page cannot take a card payment right now. ' +
            'Nothing was charged. Please check your connection (or any content blocker) and reload this page.');
    }

    function send(body) {
        setBusy(true);
        errorBox.textContent = '';
        var waiting = provider === 'gocardless' ? 'Submitting your Direct Debit payment…' : 'Processing your payment…';
        say(waiting);
        fetch('/api/v1/checkouts/' + encodeURIComponent(checkoutId) + '/pay', {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
            body: JSON.stringify(body)
        }).then(function (response) {
            if (response.status === 202) {
                waitForOutcome(waiting);
                return undefined;
            }
            return handleRefusal(response);
        }).catch(function () {
            setBusy(false);
            showError('We could not reach the payment service. Please check your connection and try again. If you were charged, this page shows it when you reload.');
        });
    }

    // The expiry as the payer's local time.
    var expiry = document.querySelector('.expiry time');
    if (expiry) {
        var when = new Date(expiry.getAttribute('datetime'));
        if (!isNaN(when.getTime())) {
            expiry.textContent = when.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
        }
    }

    // A subscription's next charge as the payer's local date.
    Array.prototype.forEach.call(document.querySelectorAll('time.charge-date'), function (element) {
        var when = new Date(element.getAttribute('datetime'));
        if (!isNaN(when.getTime())) {
            var local = when.toLocaleDateString(undefined, { dateStyle: 'medium' });
            localisedDates.push([element.textContent, local]);
            element.textContent = local;
        }
    });

    if (form) {
        form.addEventListener('submit', pay);
        form.addEventListener('change', updateVpa);
        updateVpa();
    }
    if (form && provider === 'stripe') {
        // Stripe.js is loaded by its own script tag just before this one; when it is missing
        // (blocked, offline) the payer is told instead of meeting a dead button.
        try {
            if (typeof window.Stripe !== 'function') {
                throw new Error('Stripe.js did not load');
            }
            stripe = window.Stripe(root.getAttribute('data-publishable-key'));
            cardElement = stripe.elements().create('card', { hidePostalCode: true });
            cardElement.mount('#provider-element');
        } catch (error) {
            stripe = null;
            cardElement = null;
            stripeUnavailable();
        }
    }
    // Back from the bank with the payment already decided (a failed check reopens the checkout;
    // a webhook that came first completes it): the status tells which, and the payer gets the
    // same success or failure message as without the detour.
    var status = root.getAttribute('data-status');
    if (status === 'processing' || (returnedFromBank && (form || status === 'completed'))) {
        waitForOutcome(returnedFromBank ? 'Your bank has answered. Confirming your payment…' : 'Waiting for the payment in progress…');
    }

    if (embedded) {
        var closeButton = document.getElementById('close-embed');
        if (closeButton) {
            closeButton.addEventListener('click', function () { notify('close', {}); });
        }
        // Keys typed inside the frame never reach the merchant page, so Escape is relayed.
        document.addEventListener('keydown', function (event) {
            if (event.key === 'Escape') {
                notify('close', {});
            }
        });
        notify('ready', {});
    }
}());
