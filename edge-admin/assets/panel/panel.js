// Paygate admin panel: the frame (session, Admin API client, routing, layout) and the small
// widgets every page uses. The pages themselves are in pages.js. Served from this origin under a
// CSP without inline code; every text that comes from the API is put into the page with
// textContent, never parsed as HTML.
(function () {
    'use strict';

    var P = window.Paygate = { pages: {}, routes: [] };

    // ---- DOM ----------------------------------------------------------------------------------

    // h('a', { href: '/x', class: 'y', onclick: fn }, 'text', child, [more]): an element.
    // Strings become text nodes, so API data can never become markup.
    function h(tag, attributes) {
        var element = document.createElement(tag);
        var attrs = attributes || {};
        Object.keys(attrs).forEach(function (name) {
            var value = attrs[name];
            if (value === undefined || value === null || value === false) {
                return;
            }
            if (name.slice(0, 2) === 'on' && typeof value === 'function') {
                element.addEventListener(name.slice(2), value);
            } else if (name === 'class') {
                element.className = value;
            } else if (name === 'text') {
                element.textContent = value;
            } else if (name === 'value') {
                element.value = value;
            } else if (name === 'checked' || name === 'disabled' || name === 'hidden' ||
                name === 'required' || name === 'readOnly' || name === 'selected') {
                element[name] = Boolean(value);
            } else {
                element.setAttribute(name, value === true ? '' : String(value));
            }
        });
        append(element, Array.prototype.slice.call(arguments, 2));
        return element;
    }

    function append(parent, children) {
        children.forEach(function (child) {
            if (child === null || child === undefined || child === false) {
                return;
            }
            if (Array.isArray(child)) {
                append(parent, child);
            } else if (typeof child === 'string' || typeof child === 'number') {
                parent.appendChild(document.createTextNode(String(child)));
            } else {
                parent.appendChild(child);
            }
        });
        return parent;
    }

    function clear(element) {
        while (element.firstChild) {
            element.removeChild(element.firstChild);
        }
        return element;
    }

    function replace(element) {
        clear(element);
        return append(element, Array.prototype.slice.call(arguments, 1));
    }

    P.h = h;
    P.append = append;
    P.clear = clear;
    P.replace = replace;

    // ---- money and dates ----------------------------------------------------------------------

    // Digits after the decimal point (ISO 4217), as core counts them.
    var EXPONENTS = {
        BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0,
        UYI: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
        BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
        CLF: 4, UYW: 4
    };

    function exponent(currency) {
        var code = String(currency || '').toUpperCase();
        return Object.prototype.hasOwnProperty.call(EXPONENTS, code) ? EXPONENTS[code] : 2;
    }

    // Minor units to a decimal string ("-1234.50") by moving the point in the digits: no float
    // arithmetic touches the amount.
    function decimalString(minor, currency) {
        var exp = exponent(currency);
        var text = typeof minor === 'bigint' ? minor.toString() : String(Math.trunc(Number(minor) || 0));
        var negative = text.charAt(0) === '-';
        var digits = negative ? text.slice(1) : text;
        while (digits.length <= exp) {
            digits = '0' + digits;
        }
        var whole = digits.slice(0, digits.length - exp);
        var fraction = digits.slice(digits.length - exp);
        return (negative ? '-' : '') + whole + (exp > 0 ? '.' + fraction : '');
    }

    var formatters = {};
    function formatMoney(minor, currency) {
        var code = String(currency || '').toUpperCase();
        if (minor === null || minor === undefined || !code) {
            return '—';
        }
        var exp = exponent(code);
        var formatter = formatters[code];
        if (!formatter) {
            try {
                formatter = new Intl.NumberFormat(undefined, {
                    style: 'currency', currency: code, minimumFractionDigits: exp, maximumFractionDigits: exp
                });
            } catch (unknownCurrency) {
                formatter = null;
            }
            formatters[code] = formatter;
        }
        var decimal = decimalString(minor, code);
        // Intl formats a decimal string exactly (no conversion to a double).
        return formatter ? formatter.format(decimal) : decimal + ' ' + code;
    }

    // What a person typed ("12.5", "12,50") to minor units, or null when it is not an amount
    // of that currency. String surgery again, never parseFloat.
    function parseAmount(text, currency) {
        var exp = exponent(currency);
        var value = String(text || '').trim().replace(/\s/g, '');
        if (exp > 0 && /^\d*,\d+$/.test(value)) {
            value = value.replace(',', '.');
        }
        var match = /^(\d*)(?:\.(\d*))?$/.exec(value);
        if (!match || (match[1] === '' && !match[2])) {
            return null;
        }
        var fraction = match[2] || '';
        if (fraction.length > exp) {
            return null;
        }
        while (fraction.length < exp) {
            fraction += '0';
        }
        var minor = parseInt((match[1] || '0') + fraction, 10);
        return Number.isSafeInteger(minor) ? minor : null;
    }

    var dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
    var dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

    function utcText(when) {
        return when.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
    }

    // A <time> in the person's zone, with UTC on hover.
    function time(iso, withoutTime) {
        if (!iso) {
            return h('span', { class: 'muted', text: '—' });
        }
        var when = new Date(iso);
        if (isNaN(when.getTime())) {
            return h('span', { text: String(iso) });
        }
        return h('time', {
            datetime: when.toISOString(),
            title: utcText(when),
            text: (withoutTime ? dateOnly : dateTime).format(when)
        });
    }

    // Midnight today in the browser's time zone.
    function startOfToday() {
        var now = new Date();
        return new Date(now.getFullYear(), now.getMonth(), now.getDate());
    }

    P.exponent = exponent;
    P.decimalString = decimalString;
    P.formatMoney = formatMoney;
    P.parseAmount = parseAmount;
    P.time = time;
    P.startOfToday = startOfToday;

    // ---- session ------------------------------------------------------------------------------

    // The access token lives in this closure only: never in storage, never in a cookie. The
    // refresh token is the HttpOnly cookie the edge sets for /api/v1/auth.
    var session = { token: null, expiresAt: 0, me: null, timer: null, refreshing: null };
    var MODE_KEY = 'paygate.panel.mode';
    var mode = 'test';
    try {
        mode = window.localStorage.getItem(MODE_KEY) === 'live' ? 'live' : 'test';
    } catch (storageRefused) {
        mode = 'test';
    }

    function ApiError(status, body, fallback) {
        var error = (body && body.error) || {};
        this.status = status;
        this.type = error.type || '';
        this.code = error.code || '';
        this.param = error.param || '';
        this.message = error.message || fallback || ('the request failed with status ' + status);
    }

    function unreachable() {
        return new ApiError(0, null, 'Paygate could not be reached');
    }

    function readJson(response) {
        return response.text().then(function (text) {
            var body = null;
            try {
                body = text ? JSON.parse(text) : null;
            } catch (notJson) {
                body = null;
            }
            return { status: response.status, body: body, headers: response.headers };
        });
    }

    function acceptTokens(answer) {
        session.token = answer.accessToken;
        var seconds = Number(answer.expiresIn) || 900;
        session.expiresAt = Date.now() + seconds * 1000;
        if (session.timer) {
            clearTimeout(session.timer);
        }
        // A minute before the token runs out, so a request never carries a dead one.
        session.timer = setTimeout(function () {
            refresh().catch(function () { /* the next request finds out and goes to login */ });
        }, Math.max(5, seconds - 60) * 1000);
    }

    function dropSession() {
        session.token = null;
        session.me = null;
        session.expiresAt = 0;
        if (session.timer) {
            clearTimeout(session.timer);
            session.timer = null;
        }
    }

    // One refresh at a time, shared by everyone who needs it.
    function refresh() {
        if (!session.refreshing) {
            session.refreshing = fetch('/api/v1/auth/refresh', {
                method: 'POST',
                credentials: 'same-origin',
                headers: { 'Content-Type': 'application/json' },
                body: '{}'
            }).then(readJson, function () {
                throw unreachable();
            }).then(function (answer) {
                if (answer.status === 200 && answer.body && answer.body.accessToken) {
                    acceptTokens(answer.body);
                    return true;
                }
                throw new ApiError(answer.status, answer.body);
            }).then(function (value) {
                session.refreshing = null;
                return value;
            }, function (error) {
                session.refreshing = null;
                throw error;
            });
        }
        return session.refreshing;
    }

    function newIdempotencyKey() {
        if (window.crypto && window.crypto.randomUUID) {
            return window.crypto.randomUUID();
        }
        var bytes = new Uint8Array(16);
        window.crypto.getRandomValues(bytes);
        return Array.prototype.map.call(bytes, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
    }

    // One Admin API call: JSON in, JSON out; resolves with the body, rejects with an ApiError.
    // options: { raw: true } resolves with the Response (for files), { idempotencyKey }.
    function api(method, path, body, options) {
        var opts = options || {};
        function send() {
            var headers = { 'Paygate-Mode': mode };
            if (session.token) {
                headers.Authorization = 'Bearer ' + session.token;
            }
            if (body !== undefined) {
                headers['Content-Type'] = 'application/json';
            }
            if (opts.idempotencyKey) {
                headers['Idempotency-Key'] = opts.idempotencyKey;
            }
            return fetch('/api/v1' + path, {
                method: method,
                headers: headers,
                credentials: path.indexOf('/auth/') === 0 ? 'same-origin' : 'omit',
                body: body === undefined ? undefined : JSON.stringify(body)
            });
        }
        function handle(response) {
            if (opts.raw && response.ok) {
                return response;
            }
            return readJson(response).then(function (answer) {
                if (answer.status >= 200 && answer.status < 300) {
                    return answer.body;
                }
                throw new ApiError(answer.status, answer.body);
            });
        }
        return send().then(function (response) {
            if (response.status !== 401 || !session.token || opts.noRetry) {
                return response;
            }
            // The token died (expired, or the session was ended elsewhere): one refresh, one retry.
            return refresh().then(send, function () {
                dropSession();
                P.goToLogin();
                return response;
            });
        }, function () {
            throw unreachable();
        }).then(handle);
    }

    // A file from the API (PDF, CSV), fetched with the bearer header and handed to the browser
    // as a download.
    function download(path, fallbackName) {
        return api('GET', path, undefined, { raw: true }).then(function (response) {
            var disposition = response.headers.get('Content-Disposition') || '';
            var match = /filename="?([^";]+)"?/.exec(disposition);
            var name = match ? match[1] : fallbackName;
            return response.blob().then(function (blob) {
                var url = URL.createObjectURL(blob);
                var link = h('a', { href: url, download: name, hidden: true });
                document.body.appendChild(link);
                link.click();
                link.remove();
                setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
                return name;
            });
        });
    }

    function can(permission) {
        var permissions = (session.me && session.me.permissions) || [];
        return permissions.indexOf(permission) !== -1;
    }

    function loadMe() {
        return api('GET', '/auth/me').then(function (me) {
            session.me = me;
            return me;
        });
    }

    P.api = api;
    P.download = download;
    P.can = can;
    P.ApiError = ApiError;
    P.newIdempotencyKey = newIdempotencyKey;
    P.session = {
        me: function () { return session.me; },
        mode: function () { return mode; },
        signedIn: function () { return Boolean(session.token); },
        reloadMe: loadMe,
        accept: function (answer) {
            acceptTokens(answer);
            return loadMe();
        },
        logout: function () {
            var done = function () {
                dropSession();
                P.navigate('/login', true);
            };
            api('POST', '/auth/logout', {}, { noRetry: true }).then(done, done);
        }
    };

    function setMode(next) {
        if (next === mode) {
            return;
        }
        mode = next;
        try {
            window.localStorage.setItem(MODE_KEY, mode);
        } catch (storageRefused) {
            // The switch still works for this tab.
        }
        announce(mode === 'live' ? 'Live mode: showing live data.' : 'Test mode: showing test data.');
        render();
    }

    // ---- messages -----------------------------------------------------------------------------

    function announce(text) {
        var announcer = document.getElementById('announcer');
        if (announcer) {
            announcer.textContent = '';
            setTimeout(function () { announcer.textContent = text; }, 50);
        }
    }

    function toast(text) {
        var area = document.querySelector('.toast-area');
        if (!area) {
            area = h('div', { class: 'toast-area' });
            document.body.appendChild(area);
        }
        var item = h('div', { class: 'toast', role: 'status', text: text });
        area.appendChild(item);
        setTimeout(function () { item.remove(); }, 6000);
    }

    // What went wrong, and what the person can do about it.
    function explain(error) {
        if (!(error instanceof ApiError)) {
            return 'Something unexpected went wrong in the panel (' + String(error && error.message || error) +
                '). Reload the page and try again.';
        }
        if (error.status === 0) {
            return 'Paygate could not be reached. Check your connection and try again.';
        }
        if (error.status === 403) {
            return 'Your role does not allow this (' + error.message + '). Ask an owner or admin of your ' +
                'organization if you need it.';
        }
        if (error.status === 401) {
            return 'Your session has ended. Log in again.';
        }
        if (error.status === 429) {
            return 'Too many requests. Wait a moment, then try again.';
        }
        if (error.status >= 500) {
            return 'Paygate could not do this right now (' + error.message + '). Try again in a moment; if it ' +
                'keeps failing, tell your Paygate operator.';
        }
        var text = error.message.charAt(0).toUpperCase() + error.message.slice(1);
        return /[.!?]$/.test(text) ? text : text + '.';
    }

    function routeMissing(error) {
        return error instanceof ApiError && error.status === 404 && error.code === 'route_not_found';
    }

    function loading(what) {
        return h('p', { class: 'state loading', role: 'status', text: 'Loading ' + what + '…' });
    }

    function empty(title, hint, action) {
        return h('div', { class: 'state empty' }, h('strong', { text: title }), hint ? h('span', { text: hint }) : null,
            action ? h('div', { class: 'actions', style: null }, action) : null);
    }

    function failure(error, retry) {
        return h('div', { class: 'alert', role: 'alert' },
            h('p', { text: explain(error) }),
            retry ? h('div', { class: 'actions' }, h('button', { type: 'button', class: 'small', onclick: retry, text: 'Try again' })) : null);
    }

    P.announce = announce;
    P.toast = toast;
    P.explain = explain;
    P.routeMissing = routeMissing;
    P.loading = loading;
    P.empty = empty;
    P.failure = failure;

    // Loads into `container`: a loading state first, then `show(result)`, or an error state with
    // a retry. Ignores the answer when the page changed meanwhile.
    function load(container, what, fetcher, show) {
        var generation = renderGeneration;
        replace(container, loading(what));
        function attempt() {
            replace(container, loading(what));
            Promise.resolve().then(fetcher).then(function (result) {
                if (generation !== renderGeneration) {
                    return;
                }
                clear(container);
                show(result, container);
            }, function (error) {
                if (generation !== renderGeneration) {
                    return;
                }
                replace(container, failure(error, attempt));
            });
        }
        attempt();
    }
    P.load = load;

    // ---- small widgets ------------------------------------------------------------------------

    var BADGES = {
        succeeded: 'good', completed: 'good', active: 'good', verified: 'good', paid: 'good', trialing: 'info',
        requires_capture: 'warn', pending: 'warn', processing: 'info', open: 'info', past_due: 'warn',
        invited: 'warn', pending_verification: 'warn', unpaid: 'bad',
        failed: 'bad', canceled: 'bad', expired: '', revoked: 'bad', disputed: 'bad', incomplete: 'warn'
    };

    function badge(status, label) {
        var text = label || String(status || '').replace(/_/g, ' ');
        return h('span', { class: 'badge ' + (BADGES[status] || ''), text: text });
    }

    function link(href, text, attributes) {
        var attrs = attributes || {};
        attrs.href = href;
        return h('a', attrs, text);
    }

    function blank(value) {
        return value === undefined || value === null || value === '' || (Array.isArray(value) && value.every(blank));
    }

    // columns: [{ label, cell(row) → node|string, class, hideEmpty }]; a hideEmpty column is left
    // out when no row has a value for it.
    function table(caption, allColumns, rows) {
        var columns = allColumns.filter(function (column) {
            return !column.hideEmpty || rows.some(function (row) { return !blank(column.cell(row)); });
        });
        return h('div', { class: 'table-wrap' }, h('table', { class: 'data' },
            h('caption', { class: 'visually-hidden', text: caption }),
            h('thead', null, h('tr', null, columns.map(function (column) {
                return h('th', { scope: 'col', class: column.class || null }, column.label);
            }))),
            h('tbody', null, rows.map(function (row) {
                return h('tr', row.__attrs || null, columns.map(function (column) {
                    var value = column.cell(row);
                    return h('td', { class: column.class || null }, blank(value) ?
                        h('span', { class: 'muted', text: '—' }) : value);
                }));
            }))));
    }

    function facts(pairs) {
        return h('dl', { class: 'facts' }, pairs.filter(Boolean).map(function (pair) {
            var value = pair[1];
            return [h('dt', { text: pair[0] }), h('dd', null, value === undefined || value === null || value === '' ?
                h('span', { class: 'muted', text: '—' }) : value)];
        }));
    }

    function copyButton(getText, label) {
        var button = h('button', { type: 'button', class: 'small', text: label || 'Copy' });
        button.addEventListener('click', function () {
            var text = getText();
            var done = function () {
                button.textContent = 'Copied';
                announce('Copied to the clipboard.');
                setTimeout(function () { button.textContent = label || 'Copy'; }, 2000);
            };
            if (navigator.clipboard && navigator.clipboard.writeText) {
                navigator.clipboard.writeText(text).then(done, function () {
                    announce('Copying was refused by the browser: select the text and copy it yourself.');
                });
            } else {
                announce('Select the text and copy it yourself.');
            }
        });
        return button;
    }

    // A secret shown once, with a copy button and a warning that says so.
    function secretBox(label, secret, hint) {
        var id = 'secret-' + Math.random().toString(36).slice(2);
        // A textarea, so the whole secret is visible at once, wrapped.
        var input = h('textarea', { id: id, value: secret, readOnly: true, spellcheck: 'false', rows: secret.length > 44 ? '2' : '1',
            autocomplete: 'off', class: 'mono', 'data-secret': '' });
        input.addEventListener('focus', function () { input.select(); });
        return h('div', { class: 'field' },
            h('label', { for: id, text: label }),
            h('div', { class: 'secret' }, input, copyButton(function () { return secret; }, 'Copy')),
            h('p', { class: 'hint', text: hint || 'This is the only time it is shown. Copy it now and keep it somewhere safe.' }));
    }

    function field(label, input, hint) {
        if (!input.id) {
            input.id = 'f-' + Math.random().toString(36).slice(2);
        }
        var hintNode = null;
        if (hint) {
            hintNode = h('p', { class: 'hint', id: input.id + '-hint', text: hint });
            input.setAttribute('aria-describedby', input.id + '-hint');
        }
        return h('div', { class: 'field' }, h('label', { for: input.id, text: label }), input, hintNode);
    }

    function select(name, options, value) {
        return h('select', { name: name }, options.map(function (option) {
            var pair = Array.isArray(option) ? option : [option, option];
            return h('option', { value: pair[0], selected: pair[0] === value, text: pair[1] });
        }));
    }

    P.badge = badge;
    P.link = link;
    P.table = table;
    P.facts = facts;
    P.copyButton = copyButton;
    P.secretBox = secretBox;
    P.field = field;
    P.select = select;

    // ---- dialogs ------------------------------------------------------------------------------

    // A modal dialog. spec: { title, body: [nodes], confirm: label, danger, cancel: label,
    // submit(form) → Promise (the dialog stays open with the error on failure; closes on success
    // unless the promise resolves to { keepOpen: true, body: [nodes] } to show a result) }.
    // Focus moves in, stays in (Tab cycles) and returns to the opener; Escape closes.
    function dialog(spec) {
        var opener = document.activeElement;
        var error = h('div', { class: 'alert', role: 'alert' });
        var titleId = 'd-' + Math.random().toString(36).slice(2);
        var body = h('div', { class: 'body' }, spec.body || []);
        var confirm = spec.confirm ? h('button', { type: 'submit', class: spec.danger ? 'danger' : 'primary', text: spec.confirm }) : null;
        var cancel = h('button', { type: 'button', class: '', text: spec.cancel || 'Cancel' });
        var form = h('form', { method: 'dialog', novalidate: true },
            h('h2', { id: titleId, text: spec.title }), body, error, h('div', { class: 'actions' }, cancel, confirm));
        var box = h('dialog', { 'aria-labelledby': titleId }, form);
        var busy = false;
        function close() {
            if (box.open) {
                box.close();
            }
        }
        box.addEventListener('close', function () {
            box.remove();
            if (opener && opener.isConnected && typeof opener.focus === 'function') {
                opener.focus();
            }
            if (spec.onClose) {
                spec.onClose();
            }
        });
        box.addEventListener('cancel', function (event) {
            if (busy) {
                event.preventDefault();
            }
        });
        box.addEventListener('keydown', function (event) {
            if (event.key !== 'Tab') {
                return;
            }
            var focusable = Array.prototype.filter.call(
                box.querySelectorAll('button, [href], input, select, textarea, [tabindex]:not([tabindex="-1"])'),
                function (el) { return !el.disabled && el.offsetParent !== null; });
            if (focusable.length === 0) {
                return;
            }
            var first = focusable[0];
            var last = focusable[focusable.length - 1];
            if (event.shiftKey && document.activeElement === first) {
                event.preventDefault();
                last.focus();
            } else if (!event.shiftKey && document.activeElement === last) {
                event.preventDefault();
                first.focus();
            }
        });
        cancel.addEventListener('click', close);
        form.addEventListener('input', function (event) {
            event.target.removeAttribute('aria-invalid');
        });
        form.addEventListener('submit', function (event) {
            event.preventDefault();
            if (busy || !spec.submit) {
                close();
                return;
            }
            error.textContent = '';
            busy = true;
            confirm.disabled = true;
            cancel.disabled = true;
            confirm.setAttribute('aria-busy', 'true');
            Promise.resolve().then(function () { return spec.submit(form); }).then(function (result) {
                busy = false;
                if (result && result.keepOpen) {
                    // The action is done; what it returned (a secret) is shown once, here.
                    replace(body, result.body);
                    if (confirm) {
                        confirm.remove();
                    }
                    cancel.disabled = false;
                    cancel.textContent = result.closeLabel || 'Done';
                    var first = body.querySelector('input, button');
                    (first || cancel).focus();
                    return;
                }
                close();
            }, function (failed) {
                busy = false;
                confirm.disabled = false;
                cancel.disabled = false;
                confirm.removeAttribute('aria-busy');
                if (failed && failed.invalid) {
                    error.textContent = failed.invalid;
                    if (failed.focus) {
                        failed.focus.setAttribute('aria-invalid', 'true');
                        failed.focus.focus();
                    }
                    return;
                }
                replace(error, h('p', { text: explain(failed) }));
            });
        });
        document.body.appendChild(box);
        box.showModal();
        var autofocus = body.querySelector('input:not([readonly]), select, textarea') || (confirm || cancel);
        autofocus.focus();
        return { close: close, element: box };
    }

    // Rejects a dialog's submit with a message next to the field.
    function invalid(message, input) {
        return Promise.reject({ invalid: message, focus: input || null });
    }

    P.dialog = dialog;
    P.invalid = invalid;

    // ---- routing and layout -------------------------------------------------------------------

    var renderGeneration = 0;
    var PUBLIC = ['/login', '/accept-invite'];

    // Registers a page: pattern like '/transactions/:id'.
    P.route = function (pattern, spec) {
        var names = [];
        var source = '^' + pattern.replace(/:[a-zA-Z]+/g, function (name) {
            names.push(name.slice(1));
            return '([^/]+)';
        }) + '/?$';
        P.routes.push({ regex: new RegExp(source), names: names, spec: spec });
    };

    function match(path) {
        for (var i = 0; i < P.routes.length; i += 1) {
            var found = P.routes[i].regex.exec(path);
            if (found) {
                var params = {};
                P.routes[i].names.forEach(function (name, index) {
                    params[name] = decodeURIComponent(found[index + 1]);
                });
                return { spec: P.routes[i].spec, params: params };
            }
        }
        return null;
    }

    P.navigate = function (path, replaceEntry) {
        if (replaceEntry) {
            window.history.replaceState(null, '', path);
        } else {
            window.history.pushState(null, '', path);
        }
        render();
    };

    P.goToLogin = function () {
        var here = window.location.pathname + window.location.search;
        if (PUBLIC.indexOf(window.location.pathname) !== -1) {
            return;
        }
        P.navigate('/login' + (here && here !== '/' ? '?next=' + encodeURIComponent(here) : ''), true);
    };

    P.query = function () {
        return new URLSearchParams(window.location.search);
    };

    // Links inside the panel change the page without a reload.
    document.addEventListener('click', function (event) {
        if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
            return;
        }
        var anchor = event.target.closest ? event.target.closest('a[href]') : null;
        if (!anchor || anchor.target || anchor.hasAttribute('download')) {
            return;
        }
        var url = new URL(anchor.href, window.location.href);
        if (url.origin !== window.location.origin || url.pathname.indexOf('/api/') === 0) {
            return;
        }
        event.preventDefault();
        P.navigate(url.pathname + url.search);
    });
    window.addEventListener('popstate', function () { render(); });

    var NAV = [
        ['Payments', [
            ['/', 'Home', null],
            ['/transactions', 'Transactions', 'transactions:read'],
            ['/checkouts', 'Checkouts', 'checkout:read'],
            ['/ipn-deliveries', 'IPN deliveries', 'transactions:read']
        ]],
        ['Billing', [
            ['/customers', 'Customers', 'customers:read'],
            ['/subscriptions', 'Subscriptions', 'subscriptions:read'],
            ['/plans', 'Plans', 'plans:read'],
            ['/invoices', 'Invoices', 'transactions:read'],
            ['/credit-notes', 'Credit notes', 'transactions:read']
        ]],
        ['Developers', [
            ['/sites', 'Sites', 'sites:read'],
            ['/api-keys', 'API keys', 'keys:read'],
            ['/providers', 'Providers', 'providers:read'],
            ['/domains', 'Custom domains', 'sites:read']
        ]],
        ['Settings', [
            ['/organization', 'Organization', 'sites:read'],
            ['/tax-rules', 'Tax rules', 'sites:read'],
            ['/team', 'Team', 'users:read'],
            ['/audit-log', 'Audit log', 'audit:read'],
            ['/account', 'Your account', null]
        ]]
    ];

    function frame(activeNav) {
        var me = session.me || {};
        var user = me.user || {};
        var organization = me.organization || {};
        var nav = h('nav', { class: 'sidenav', id: 'sidenav', 'aria-label': 'Main' }, NAV.map(function (group) {
            var items = group[1].filter(function (item) { return !item[2] || can(item[2]); });
            if (items.length === 0) {
                return null;
            }
            return [h('h2', { text: group[0] }), h('ul', null, items.map(function (item) {
                return h('li', null, h('a', { href: item[0], 'aria-current': item[0] === activeNav ? 'page' : null, text: item[1] }));
            }))];
        }));
        var toggle = h('button', { type: 'button', class: 'menu-toggle small', 'aria-expanded': 'false',
            'aria-controls': 'sidenav', text: 'Menu' });
        toggle.addEventListener('click', function () {
            var open = !nav.classList.contains('open');
            nav.classList.toggle('open', open);
            toggle.setAttribute('aria-expanded', open ? 'true' : 'false');
        });
        var modeButtons = ['test', 'live'].map(function (value) {
            return h('button', { type: 'button', 'data-mode': value, 'aria-pressed': mode === value ? 'true' : 'false',
                text: value === 'test' ? 'Test mode' : 'Live mode', onclick: function () { setMode(value); } });
        });
        var main = h('main', { id: 'main', class: 'content', tabindex: '-1' });
        var app = h('div', { id: 'app', class: 'app ' + mode },
            mode === 'test' ? h('div', { class: 'mode-banner', role: 'note' }, h('strong', { text: 'Test mode' }),
                ' — you are looking at test data. Nothing here moves real money.') : null,
            h('header', { class: 'topbar' },
                toggle,
                h('a', { class: 'brand', href: '/' }, h('img', { src: '/assets/panel/icon.svg', alt: '' }), 'Paygate'),
                organization.name ? h('span', { class: 'org-name', text: organization.name }) : null,
                mode === 'live' ? h('span', { class: 'live-badge', text: 'Live data' }) : null,
                h('span', { class: 'spacer' }),
                h('div', { class: 'mode-switch', role: 'group', 'aria-label': 'Data mode' }, modeButtons),
                h('div', { class: 'user-menu' },
                    h('a', { class: 'who', href: '/account', text: user.email || 'Your account' }),
                    h('button', { type: 'button', class: 'small', text: 'Log out', onclick: P.session.logout }))),
            h('div', { class: 'layout' }, nav, main));
        var old = document.getElementById('app');
        old.parentNode.replaceChild(app, old);
        return main;
    }

    function bare() {
        var main = h('main', { id: 'main', class: 'auth-page', tabindex: '-1' });
        var app = h('div', { id: 'app', class: 'app' }, main);
        var old = document.getElementById('app');
        old.parentNode.replaceChild(app, old);
        return main;
    }

    // A page's heading row: title, optional subtitle and actions. The title takes focus after
    // a navigation so keyboard and screen reader users start at the new page.
    P.heading = function (title, subtitle, actions, crumbs) {
        document.title = title + ' · Paygate';
        return h('div', { class: 'page-head' },
            h('div', null,
                crumbs ? h('p', { class: 'crumbs' }, crumbs) : null,
                h('h1', { tabindex: '-1', text: title }),
                subtitle ? h('p', { class: 'sub' }, subtitle) : null),
            actions ? h('div', { class: 'actions' }, actions) : null);
    };

    function focusHeading(main) {
        var heading = main.querySelector('h1');
        (heading || main).focus({ preventScroll: false });
    }

    var booted = false;

    function render() {
        renderGeneration += 1;
        var path = window.location.pathname;
        var found = match(path);
        var isPublic = PUBLIC.indexOf(path) !== -1;
        if (!isPublic && !session.token) {
            P.goToLogin();
            return;
        }
        document.querySelectorAll('dialog').forEach(function (d) { if (d.open) { d.close(); } });
        // An organization that requires two-factor sign-in answers only the account routes until
        // this person sets it up: the account page is where they can.
        if (!isPublic && session.me && session.me.twoFactorEnrollmentRequired && path !== '/account') {
            P.navigate('/account', true);
            return;
        }
        var spec = found ? found.spec : P.pages.notFound;
        if (spec.permission && !can(spec.permission)) {
            spec = P.pages.forbidden;
        }
        var main = spec.bare ? bare() : frame(spec.nav || path);
        spec.render(main, found ? found.params : {});
        if (booted) {
            focusHeading(main);
        }
        booted = true;
    }
    P.render = render;

    // Start: try the refresh cookie; a live session opens where the person was.
    function start() {
        var path = window.location.pathname;
        refresh().then(loadMe).then(function () {
            if (PUBLIC.indexOf(path) !== -1 && path === '/login') {
                var next = P.query().get('next');
                P.navigate(next && next.charAt(0) === '/' && next.charAt(1) !== '/' ? next : '/', true);
                return;
            }
            render();
        }, function () {
            dropSession();
            render();
        });
    }

    document.addEventListener('DOMContentLoaded', start);
})();
