// Paygate checkout.js: opens the hosted checkout page in a modal frame over the merchant's page.
//
//   <script src="https://pay.example/checkout.js"></script>
//   const checkout = new Paygate.Checkout({checkoutId, onSuccess, onFailure, onClose});
//   checkout.open();
//
// The gateway is the origin this script was loaded from. Messages are accepted only from that
// origin and only from the frame this script created; the page posts only to the origin that
// opened it.
(function () {
    'use strict';

    var script = document.currentScript;
    if (!script || !script.src) {
        throw new Error('Paygate checkout.js must be loaded with a <script src> tag');
    }
    var gatewayOrigin = new URL(script.src).origin;

    function call(callback, argument) {
        if (typeof callback === 'function') {
            callback(argument);
        }
    }

    function Checkout(options) {
        if (!options || typeof options.checkoutId !== 'string' || !/^[A-Za-z0-9_-]{1,128}$/.test(options.checkoutId)) {
            throw new TypeError('Paygate.Checkout needs a checkoutId');
        }
        this.checkoutId = options.checkoutId;
        this.onSuccess = options.onSuccess;
        this.onFailure = options.onFailure;
        this.onClose = options.onClose;
        this._overlay = null;
        this._frame = null;
        this._previousFocus = null;
        this._inerted = [];
        this._onMessage = this._handleMessage.bind(this);
        this._onKeydown = this._handleKeydown.bind(this);
    }

    Checkout.prototype.open = function () {
        if (this._overlay) {
            return;
        }
        this._previousFocus = document.activeElement;
        var overlay = document.createElement('div');
        overlay.setAttribute('data-paygate-checkout', this.checkoutId);
        overlay.setAttribute('role', 'dialog');
        overlay.setAttribute('aria-modal', 'true');
        overlay.setAttribute('aria-label', 'Checkout');
        setStyle(overlay, {
            position: 'fixed', inset: '0', zIndex: '2147483647', background: 'rgba(17, 24, 39, 0.6)',
            display: 'flex', alignItems: 'center', justifyContent: 'center', padding: '0'
        });

        var panel = document.createElement('div');
        setStyle(panel, {
            position: 'relative', width: '100%', maxWidth: '34rem', height: '100%', maxHeight: '46rem',
            background: '#f3f4f6', borderRadius: '12px', overflow: 'hidden', boxShadow: '0 10px 30px rgba(0,0,0,0.35)'
        });

        var close = document.createElement('button');
        close.type = 'button';
        close.textContent = '×';
        close.setAttribute('aria-label', 'Close checkout');
        setStyle(close, {
            position: 'absolute', top: '0.35rem', right: '0.35rem', zIndex: '1', width: '2.5rem', height: '2.5rem',
            font: '700 1.5rem/1 system-ui, sans-serif', color: '#111827', background: '#fff',
            border: '1px solid #6b7280', borderRadius: '50%', cursor: 'pointer'
        });
        close.addEventListener('click', this._dismiss.bind(this));

        var frame = document.createElement('iframe');
        frame.title = 'Paygate checkout';
        frame.src = gatewayOrigin + '/checkout/' + encodeURIComponent(this.checkoutId) +
            '?embed=1&origin=' + encodeURIComponent(window.location.origin);
        frame.setAttribute('allow', 'payment');
        setStyle(frame, { width: '100%', height: '100%', border: '0', display: 'block' });

        panel.appendChild(close);
        panel.appendChild(frame);
        overlay.appendChild(panel);
        // Keyboard focus stays in the modal: the rest of the page is inert while it is open.
        this._inerted = [];
        for (var i = 0; i < document.body.children.length; i += 1) {
            var sibling = document.body.children[i];
            if (!sibling.inert) {
                sibling.inert = true;
                this._inerted.push(sibling);
            }
        }
        document.body.appendChild(overlay);
        this._overlay = overlay;
        this._frame = frame;
        window.addEventListener('message', this._onMessage);
        document.addEventListener('keydown', this._onKeydown);
        frame.focus();
    };

    // Removes the modal; harmless when it is not open.
    Checkout.prototype.close = function () {
        if (!this._overlay) {
            return;
        }
        window.removeEventListener('message', this._onMessage);
        document.removeEventListener('keydown', this._onKeydown);
        this._overlay.parentNode.removeChild(this._overlay);
        this._inerted.forEach(function (element) { element.inert = false; });
        this._inerted = [];
        this._overlay = null;
        this._frame = null;
        if (this._previousFocus && typeof this._previousFocus.focus === 'function') {
            this._previousFocus.focus();
        }
    };

    Checkout.prototype._dismiss = function () {
        if (!this._overlay) {
            return;
        }
        this.close();
        call(this.onClose);
    };

    Checkout.prototype._handleKeydown = function (event) {
        if (event.key === 'Escape') {
            this._dismiss();
        }
    };

    Checkout.prototype._handleMessage = function (event) {
        if (event.origin !== gatewayOrigin || !this._frame || event.source !== this._frame.contentWindow) {
            return;
        }
        var data = event.data;
        if (!data || data.source !== 'paygate' || data.checkoutId !== this.checkoutId) {
            return;
        }
        if (data.type === 'success') {
            this.close();
            call(this.onSuccess, { checkoutId: data.checkoutId, transactionId: String(data.transactionId || '') });
        } else if (data.type === 'failure') {
            call(this.onFailure, {
                checkoutId: data.checkoutId,
                transactionId: String(data.transactionId || ''),
                failureCode: String(data.failureCode || '')
            });
        } else if (data.type === 'close') {
            this._dismiss();
        }
    };

    function setStyle(element, styles) {
        for (var name in styles) {
            if (Object.prototype.hasOwnProperty.call(styles, name)) {
                element.style[name] = styles[name];
            }
        }
    }

    window.Paygate = window.Paygate || {};
    window.Paygate.Checkout = Checkout;
}());
