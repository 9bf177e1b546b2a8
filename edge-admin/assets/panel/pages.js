// Paygate admin panel: the pages. Each page is registered with Paygate.route(pattern, spec)
// and renders into the page's <main> with the helpers of panel.js. Everything comes from the
// Admin API; API text is always set as text, never as markup.
(function () {
    'use strict';

    var P = window.Paygate;
    var h = P.h;
    var api = P.api;
    var PAGE_SIZE = 25;

    function q(params) {
        var search = new URLSearchParams();
        Object.keys(params).forEach(function (key) {
            var value = params[key];
            if (value !== undefined && value !== null && value !== '') {
                search.set(key, String(value));
            }
        });
        var text = search.toString();
        return text ? '?' + text : '';
    }

    function enc(id) {
        return encodeURIComponent(id);
    }

    function money(minor, currency) {
        return h('span', { class: 'money', text: P.formatMoney(minor, currency) });
    }

    function code(text) {
        return text ? h('code', { text: String(text) }) : null;
    }

    // An object id in a narrow column: it may break anywhere rather than widen the table.
    function idCode(text) {
        return text ? h('code', { class: 'id', text: String(text) }) : null;
    }

    function humanize(text) {
        var words = String(text || '').replace(/[._]/g, ' ');
        return words.charAt(0).toUpperCase() + words.slice(1);
    }

    function section(title, children, actions) {
        return h('section', { class: 'panel' },
            h('h2', null, h('span', { text: title }), actions ? h('span', { class: 'actions' }, actions) : null),
            children);
    }

    function button(label, onclick, kind) {
        return h('button', { type: 'button', class: kind || '', text: label, onclick: onclick });
    }

    // Sites by id, for showing names; loaded once per page view.
    var sitesCache = null;
    function sites() {
        if (!P.can('sites:read')) {
            return Promise.resolve([]);
        }
        if (!sitesCache || sitesCache.mode !== P.session.mode()) {
            sitesCache = { mode: P.session.mode(), promise: api('GET', '/sites?limit=100').then(function (list) {
                return list.data;
            }, function () { return []; }) };
        }
        return sitesCache.promise;
    }
    function forgetSites() {
        sitesCache = null;
    }
    function siteName(list, id) {
        for (var i = 0; i < list.length; i += 1) {
            if (list[i].id === id) {
                return list[i].name;
            }
        }
        return id;
    }

    // A list with "Previous"/"Next" pages (cursor pagination). spec: { path, params, what,
    // caption, columns, emptyTitle, emptyHint, limit, explain(error) → text (optional) }.
    function pagedList(container, spec) {
        var cursors = [];
        function show(cursor) {
            var params = Object.assign({}, spec.params || {}, { limit: spec.limit || PAGE_SIZE, startingAfter: cursor });
            P.load(container, spec.what, function () {
                return api('GET', spec.path + q(params)).catch(function (error) {
                    var text = spec.explain && spec.explain(error);
                    if (text) {
                        error.message = text;
                    }
                    throw error;
                });
            }, function (list) {
                if (list.data.length === 0 && cursors.length === 0) {
                    P.append(container, [P.empty(spec.emptyTitle, spec.emptyHint, spec.emptyAction)]);
                    return;
                }
                var previous = h('button', { type: 'button', class: 'small', text: 'Previous page', disabled: cursors.length === 0 });
                var next = h('button', { type: 'button', class: 'small', text: 'Next page', disabled: !list.hasMore });
                previous.addEventListener('click', function () {
                    cursors.pop();
                    show(cursors.length ? cursors[cursors.length - 1] : undefined);
                });
                next.addEventListener('click', function () {
                    var last = list.data[list.data.length - 1].id;
                    cursors.push(last);
                    show(last);
                });
                P.append(container, [
                    P.table(spec.caption || spec.what, spec.columns, list.data),
                    h('div', { class: 'pager' },
                        h('span', { class: 'muted', text: 'Page ' + (cursors.length + 1) + ' · ' + list.data.length + ' shown' }),
                        previous, next)
                ]);
            });
        }
        show(undefined);
    }

    // ---- sign in ------------------------------------------------------------------------------

    var prefillEmail = '';

    function authCard(main, title, lead, children) {
        P.replace(main, h('div', { class: 'auth-card' },
            h('span', { class: 'brand' }, h('img', { src: '/assets/panel/icon.svg', alt: '' }), 'Paygate'),
            h('h1', { tabindex: '-1', text: title }),
            lead ? h('p', { class: 'lead', text: lead }) : null,
            children));
        document.title = title + ' · Paygate';
        main.querySelector('h1').focus();
    }

    function nextPath() {
        var next = P.query().get('next');
        return next && next.charAt(0) === '/' && next.charAt(1) !== '/' ? next : '/';
    }

    function signedIn(answer) {
        return P.session.accept(answer).then(function () {
            P.navigate(nextPath(), true);
        });
    }

    function loginErrorText(error) {
        if (P.routeMissing(error)) {
            return 'This Paygate does not offer panel sign-in yet. Ask your operator to upgrade it.';
        }
        if (error.status === 401) {
            return 'The email address or password is not right. Check both and try again.';
        }
        if (error.status === 429) {
            return 'Too many attempts. Wait a minute, then try again.';
        }
        return P.explain(error);
    }

    function busyForm(form, on) {
        Array.prototype.forEach.call(form.querySelectorAll('button, input'), function (el) {
            el.disabled = on;
        });
        var submit = form.querySelector('button[type="submit"]');
        if (submit) {
            submit.setAttribute('aria-busy', on ? 'true' : 'false');
        }
    }

    function loginPage(main) {
        var error = h('div', { class: 'alert', role: 'alert' });
        var email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true, value: prefillEmail });
        var password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
        var form = h('form', { class: 'stack', novalidate: true },
            error,
            P.field('Email', email),
            P.field('Password', password),
            h('button', { type: 'submit', class: 'primary', text: 'Log in' }));
        form.addEventListener('submit', function (event) {
            event.preventDefault();
            error.textContent = '';
            if (!email.value.trim() || !password.value) {
                error.textContent = 'Enter your email address and password.';
                (email.value.trim() ? password : email).focus();
                return;
            }
            busyForm(form, true);
            api('POST', '/auth/login', { email: email.value.trim(), password: password.value, refreshCookie: true })
                .then(function (answer) {
                    if (answer && answer.mfaRequired) {
                        mfaStep(main, answer.mfaToken);
                        return null;
                    }
                    return signedIn(answer);
                })
                .catch(function (failed) {
                    busyForm(form, false);
                    error.textContent = loginErrorText(failed);
                    password.value = '';
                    password.focus();
                });
        });
        authCard(main, 'Log in to Paygate', 'Use the email address your team invited.', form);
        (email.value ? password : email).focus();
    }

    function mfaStep(main, mfaToken) {
        var recovery = false;
        var error = h('div', { class: 'alert', role: 'alert' });
        var input = h('input', { type: 'text', name: 'code', autocomplete: 'one-time-code', inputmode: 'numeric',
            required: true, spellcheck: 'false' });
        var label = h('label', { for: 'mfa-code', text: 'Authentication code' });
        input.id = 'mfa-code';
        var hint = h('p', { class: 'hint', id: 'mfa-hint', text: 'The 6-digit code from your authenticator app.' });
        input.setAttribute('aria-describedby', 'mfa-hint');
        var toggle = h('button', { type: 'button', class: 'link', text: 'Use a recovery code instead' });
        toggle.addEventListener('click', function () {
            recovery = !recovery;
            label.textContent = recovery ? 'Recovery code' : 'Authentication code';
            hint.textContent = recovery ? 'One of the recovery codes you saved when you turned on two-factor ' +
                'authentication. Each works once.' : 'The 6-digit code from your authenticator app.';
            input.setAttribute('inputmode', recovery ? 'text' : 'numeric');
            toggle.textContent = recovery ? 'Use an authenticator code instead' : 'Use a recovery code instead';
            input.value = '';
            input.focus();
        });
        var form = h('form', { class: 'stack', novalidate: true }, error,
            h('div', { class: 'field' }, label, input, hint),
            h('button', { type: 'submit', class: 'primary', text: 'Verify' }),
            h('div', null, toggle));
        form.addEventListener('submit', function (event) {
            event.preventDefault();
            var value = input.value.replace(/\s/g, '');
            if (!value) {
                error.textContent = recovery ? 'Enter one of your recovery codes.' : 'Enter the 6-digit code.';
                input.focus();
                return;
            }
            error.textContent = '';
            busyForm(form, true);
            api('POST', '/auth/mfa', { mfaToken: mfaToken, code: value, refreshCookie: true }).then(signedIn).catch(function (failed) {
                busyForm(form, false);
                if (failed.status === 401 && failed.code === 'token_invalid') {
                    P.replace(error, h('p', { text: 'This sign-in took too long. ' },
                        h('a', { href: '/login', text: 'Start again' }), '.'));
                    return;
                }
                error.textContent = failed.status === 401
                    ? (recovery ? 'That recovery code did not work. Check it, or use another one.'
                        : 'That code did not work. Codes change every 30 seconds: enter the current one.')
                    : loginErrorText(failed);
                input.value = '';
                input.focus();
            });
        });
        authCard(main, 'Two-factor authentication', 'Your account is protected with a second step.', form);
        input.focus();
    }

    P.route('/login', { bare: true, render: loginPage });

    P.route('/accept-invite', { bare: true, render: function (main) {
        // The token travels in the fragment (never sent to a server, never in a log); it leaves
        // the address bar at once.
        var token = new URLSearchParams(window.location.hash.slice(1)).get('token') || '';
        if (window.location.hash) {
            window.history.replaceState(null, '', '/accept-invite');
        }
        if (!token) {
            authCard(main, 'Invitation link incomplete', null, h('div', { class: 'alert', role: 'alert' },
                h('p', { text: 'This link has no invitation in it. Open the whole link from your invitation again, ' +
                    'or ask whoever invited you for a new one.' })));
            return;
        }
        var error = h('div', { class: 'alert', role: 'alert' });
        var name = h('input', { type: 'text', name: 'name', autocomplete: 'name' });
        var password = h('input', { type: 'password', name: 'password', autocomplete: 'new-password', required: true, minlength: '10' });
        var again = h('input', { type: 'password', name: 'password2', autocomplete: 'new-password', required: true });
        var form = h('form', { class: 'stack', novalidate: true }, error,
            P.field('Your name', name, 'Optional: shown to your team and in the audit log.'),
            P.field('Choose a password', password, 'At least 10 characters.'),
            P.field('Type it again', again),
            h('button', { type: 'submit', class: 'primary', text: 'Create my account' }));
        form.addEventListener('submit', function (event) {
            event.preventDefault();
            error.textContent = '';
            if (password.value.length < 10) {
                error.textContent = 'The password needs at least 10 characters.';
                password.focus();
                return;
            }
            if (password.value !== again.value) {
                error.textContent = 'The two passwords are not the same. Type them again.';
                again.value = '';
                again.focus();
                return;
            }
            busyForm(form, true);
            var body = { token: token, password: password.value };
            if (name.value.trim()) {
                body.name = name.value.trim();
            }
            api('POST', '/auth/invitations/accept', body).then(function (answer) {
                prefillEmail = (answer && answer.email) || '';
                authCard(main, 'Your account is ready', 'Log in with ' + (prefillEmail || 'your email address') +
                    ' and the password you just chose.', h('a', { class: 'button primary', href: '/login', text: 'Go to log in' }));
            }, function (failed) {
                busyForm(form, false);
                error.textContent = failed.status === 401 || failed.status === 404 || failed.status === 410
                    ? 'This invitation is no longer valid (used or expired). Ask whoever invited you for a new one.'
                    : P.explain(failed);
            });
        });
        authCard(main, 'Join your team on Paygate', 'Set a password to finish creating your account.', form);
        password.focus();
    } });

    // ---- home ---------------------------------------------------------------------------------

    // From /reports/summary when the gateway has it; else counted here from today's
    // transactions (a few pages at most).
    function todaySummary(from, to) {
        return api('GET', '/reports/summary' + q({ from: from.toISOString(), to: to.toISOString() })).then(function (report) {
            return normalizeSummary(report);
        }, function (error) {
            if (error.status !== 404 && error.status !== 400) {
                throw error;
            }
            return summarizeLocally(from);
        });
    }

    // GET /reports/summary: per currency, gross volume and counts; the overall rate is
    // counted here from the per-currency counts.
    function normalizeSummary(report) {
        var succeeded = 0;
        var failed = 0;
        var byCurrency = (report.currencies || []).map(function (row) {
            succeeded += row.succeededCount || 0;
            failed += row.failedCount || 0;
            return { currency: row.currency, volume: row.grossVolume, count: row.succeededCount || 0, refunded: row.refundedAmount || 0 };
        });
        return {
            byCurrency: byCurrency, succeeded: succeeded, failed: failed,
            rate: succeeded + failed > 0 ? succeeded / (succeeded + failed) : null,
            failures: report.recentFailures || null
        };
    }

    function summarizeLocally(from) {
        var totals = {};
        var succeeded = 0;
        var failed = 0;
        function page(cursor, left) {
            return api('GET', '/transactions' + q({ limit: 100, startingAfter: cursor })).then(function (list) {
                var older = false;
                list.data.forEach(function (t) {
                    if (!t.createdAt || new Date(t.createdAt) < from) {
                        older = true;
                        return;
                    }
                    if (t.status === 'succeeded') {
                        succeeded += 1;
                        var entry = totals[t.currency] || (totals[t.currency] = { currency: t.currency, volume: 0, count: 0 });
                        entry.volume += t.amountCaptured || t.amount;
                        entry.count += 1;
                    } else if (t.status === 'failed') {
                        failed += 1;
                    }
                });
                if (list.hasMore && !older && left > 1 && list.data.length) {
                    return page(list.data[list.data.length - 1].id, left - 1);
                }
                return null;
            });
        }
        return page(undefined, 5).then(function () {
            return {
                byCurrency: Object.keys(totals).sort().map(function (k) { return totals[k]; }),
                succeeded: succeeded,
                failed: failed,
                rate: succeeded + failed > 0 ? succeeded / (succeeded + failed) : null
            };
        });
    }

    P.route('/', { nav: '/', render: function (main) {
        var me = P.session.me() || {};
        var greeting = me.user && me.user.name ? 'Hello, ' + me.user.name : 'Home';
        var from = P.startOfToday();
        var statsBox = h('div');
        var failures = h('div');
        P.append(main, [
            P.heading(greeting, 'Today so far, since ' + new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'short' }).format(from) +
                ' (' + Intl.DateTimeFormat().resolvedOptions().timeZone + ')'),
            statsBox,
            section('Recent failed payments', failures,
                P.can('transactions:read') ? P.link('/transactions?status=failed', 'All failed payments') : null)
        ]);
        if (!P.can('transactions:read')) {
            P.replace(statsBox, P.empty('Nothing to show here for your role',
                'Your role cannot see payments. Use the menu to open what you can see.'));
            failures.parentNode.remove();
            return;
        }
        var pending = null;
        function summary() {
            if (!pending) {
                pending = todaySummary(from, new Date());
                pending.catch(function () { pending = null; });
            }
            return pending;
        }
        P.load(statsBox, 'today’s numbers', summary, function (summary) {
            var cards = summary.byCurrency.map(function (row) {
                return h('div', { class: 'stat' },
                    h('p', { class: 'label', text: 'Volume today · ' + row.currency }),
                    h('p', { class: 'value', text: P.formatMoney(row.volume, row.currency) }),
                    h('p', { class: 'detail', text: row.count + (row.count === 1 ? ' payment' : ' payments') }));
            });
            if (cards.length === 0) {
                cards.push(h('div', { class: 'stat' }, h('p', { class: 'label', text: 'Volume today' }),
                    h('p', { class: 'value', text: 'No payments yet' }),
                    h('p', { class: 'detail', text: 'Successful payments since midnight appear here.' })));
            }
            var rateText = summary.rate === null ? '—' : (Math.round(summary.rate * 1000) / 10).toLocaleString() + ' %';
            cards.push(h('div', { class: 'stat' },
                h('p', { class: 'label', text: 'Success rate today' }),
                h('p', { class: 'value', text: rateText }),
                h('p', { class: 'detail', text: summary.succeeded + ' succeeded, ' + summary.failed + ' failed' })));
            P.append(statsBox, [h('div', { class: 'stats' }, cards)]);
        });
        P.load(failures, 'recent failures', function () {
            return summary().catch(function () { return {}; }).then(function (today) {
                return today.failures || api('GET', '/transactions' + q({ status: 'failed', limit: 10 })).then(function (list) {
                    return list.data;
                });
            });
        }, function (list) {
            if (list.length === 0) {
                P.append(failures, [P.empty('No failed payments today', 'Declined and failed payments show up here.')]);
                return;
            }
            P.append(failures, [P.table('Recent failed payments', [
                { label: 'Amount', class: 'num', cell: function (t) { return P.link('/transactions/' + enc(t.id), P.formatMoney(t.amount, t.currency)); } },
                { label: 'Why', cell: function (t) { return [t.failureCode ? code(t.failureCode) : null, t.failureCode && t.failureMessage ? ' ' : '', t.failureMessage || '']; } },
                { label: 'Customer', cell: function (t) { return t.customerEmail; } },
                { label: 'When', class: 'nowrap', cell: function (t) { return P.time(t.createdAt); } }
            ], list.slice(0, 10))]);
        });
    } });

    // ---- transactions -------------------------------------------------------------------------

    var TRANSACTION_STATUSES = ['pending', 'processing', 'requires_capture', 'succeeded', 'failed', 'canceled'];

    function localDay(text, endOfDay) {
        var match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text || '');
        if (!match) {
            return null;
        }
        var day = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
        if (endOfDay) {
            day = new Date(day.getFullYear(), day.getMonth(), day.getDate() + 1);
            day = new Date(day.getTime() - 1);
        }
        return day;
    }

    // The page's filters (from the address) as Admin API query parameters.
    function transactionFilters(search) {
        var currency = (search.get('currency') || '').toUpperCase();
        var from = localDay(search.get('from'), false);
        var to = localDay(search.get('to'), true);
        var min = search.get('min') ? P.parseAmount(search.get('min'), currency) : null;
        var max = search.get('max') ? P.parseAmount(search.get('max'), currency) : null;
        return {
            status: search.get('status') || undefined,
            siteId: search.get('site') || undefined,
            customerEmail: search.get('email') || undefined,
            currency: currency || undefined,
            createdGte: from ? from.toISOString() : undefined,
            createdLte: to ? to.toISOString() : undefined,
            amountGte: min === null ? undefined : min,
            amountLte: max === null ? undefined : max
        };
    }

    function filterProblem(error) {
        var names = { createdGte: 'date', createdLte: 'date', amountGte: 'amount', amountLte: 'amount',
            customerEmail: 'customer email', currency: 'currency' };
        if (error.status !== 400) {
            return null;
        }
        // A gateway without a filter refuses the unknown query parameter by name.
        var named = error.param || (/unknown field `(\w+)`/.exec(error.message) || [])[1];
        if (names[named]) {
            return 'This Paygate cannot filter by ' + names[named] + ' yet. Clear that filter to see the list.';
        }
        return null;
    }

    function transactionColumns(siteList) {
        return [
            { label: 'Amount', class: 'num', cell: function (t) { return P.link('/transactions/' + enc(t.id), P.formatMoney(t.amount, t.currency)); } },
            { label: 'Status', cell: function (t) {
                var refunded = t.amountRefunded > 0 ? P.badge('refunded', t.amountRefunded >= t.amountCaptured ? 'refunded' : 'partially refunded') : null;
                return [P.badge(t.status), ' ', refunded];
            } },
            { label: 'Customer', hideEmpty: true, cell: function (t) {
                return t.customerEmail || (t.customer && t.customer.email) || (t.customerId ? P.link('/customers/' + enc(t.customerId), t.customerId) : null);
            } },
            { label: 'Site', class: 'wide-only', cell: function (t) { return siteName(siteList, t.siteId); } },
            { label: 'ID', class: 'wide-only', cell: function (t) { return code(t.id); } },
            { label: 'Created', class: 'nowrap', cell: function (t) { return P.time(t.createdAt); } }
        ];
    }

    P.route('/transactions', { nav: '/transactions', permission: 'transactions:read', render: function (main) {
        var search = P.query();
        var listBox = h('div');
        var notice = h('div', { class: 'alert', role: 'alert' });
        var filters = transactionFilters(search);
        var exportButton = button('Export CSV', function () {
            exportButton.disabled = true;
            notice.textContent = '';
            P.download('/transactions/export.csv' + q(filters), 'transactions.csv').then(function (name) {
                exportButton.disabled = false;
                P.toast('Downloaded ' + name + '.');
            }, function (error) {
                exportButton.disabled = false;
                notice.textContent = error.status === 404
                    ? 'This Paygate cannot export transactions yet.'
                    : 'The export did not work: ' + P.explain(error);
            });
        });
        var status = P.select('status', [['', 'Any status']].concat(TRANSACTION_STATUSES.map(function (s) { return [s, humanize(s)]; })), search.get('status') || '');
        var site = P.select('site', [['', 'All sites']], search.get('site') || '');
        var from = h('input', { type: 'date', name: 'from', value: search.get('from') || '' });
        var to = h('input', { type: 'date', name: 'to', value: search.get('to') || '' });
        var min = h('input', { type: 'text', name: 'min', inputmode: 'decimal', value: search.get('min') || '', placeholder: '0.00' });
        var max = h('input', { type: 'text', name: 'max', inputmode: 'decimal', value: search.get('max') || '', placeholder: '0.00' });
        var currency = h('input', { type: 'text', name: 'currency', value: search.get('currency') || '', placeholder: 'EUR', maxlength: '3', autocapitalize: 'characters' });
        var email = h('input', { type: 'search', name: 'email', value: search.get('email') || '', placeholder: 'name@example.com' });
        var form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter transactions' },
            P.field('Status', status), P.field('Site', site),
            P.field('Created from', from), P.field('Created until', to),
            P.field('Amount at least', min), P.field('Amount at most', max),
            P.field('Currency', currency), P.field('Customer email', email),
            h('div', { class: 'actions' },
                h('button', { type: 'submit', class: 'primary', text: 'Apply filters' }),
                h('a', { class: 'button', href: '/transactions', text: 'Clear' })));
        form.addEventListener('submit', function (event) {
            event.preventDefault();
            notice.textContent = '';
            var cur = currency.value.trim().toUpperCase();
            var bad = [[min, 'Amount at least'], [max, 'Amount at most']].filter(function (pair) {
                return pair[0].value.trim() && P.parseAmount(pair[0].value, cur) === null;
            });
            if (bad.length) {
                notice.textContent = bad[0][1] + ' is not an amount' + (cur ? ' in ' + cur : '') + ' (for example 12.50).';
                bad[0][0].setAttribute('aria-invalid', 'true');
                bad[0][0].focus();
                return;
            }
            var params = { status: status.value, site: site.value, from: from.value, to: to.value, min: min.value.trim(),
                max: max.value.trim(), currency: cur, email: email.value.trim() };
            P.navigate('/transactions' + q(params));
        });
        P.append(main, [
            P.heading('Transactions', 'Every payment attempt, newest first.', [exportButton]),
            section('Filters', form),
            notice,
            h('section', { class: 'panel', 'aria-label': 'Transactions' }, listBox)
        ]);
        sites().then(function (list) {
            list.forEach(function (s) {
                site.appendChild(h('option', { value: s.id, selected: s.id === search.get('site'), text: s.name }));
            });
            pagedList(listBox, {
                path: '/transactions', params: filters, what: 'transactions', caption: 'Transactions',
                columns: transactionColumns(list), explain: filterProblem,
                emptyTitle: Object.keys(filters).some(function (k) { return filters[k] !== undefined; }) ? 'No transactions match these filters' : 'No transactions yet',
                emptyHint: 'Payments appear here as soon as a customer pays a checkout' +
                    (P.session.mode() === 'test' ? ' in test mode.' : '.')
            });
        });
    } });

    // Amount dialog field: prefilled with a decimal string of `minor`.
    function amountInput(minor, currency) {
        return h('input', { type: 'text', inputmode: 'decimal', value: P.decimalString(minor, currency), autocomplete: 'off' });
    }

    function readAmount(input, currency, most) {
        var value = P.parseAmount(input.value, currency);
        if (value === null || value <= 0) {
            return { error: 'Enter an amount in ' + currency + ' with at most ' + P.exponent(currency) + ' decimals, for example ' +
                P.decimalString(most, currency) + '.' };
        }
        if (value > most) {
            return { error: 'At most ' + P.formatMoney(most, currency) + '.' };
        }
        return { value: value };
    }

    function transactionActions(t, reload) {
        if (!P.can('transactions:write')) {
            return [];
        }
        var actions = [];
        var key = null;
        if (t.status === 'requires_capture') {
            actions.push(button('Capture', function () {
                var amount = amountInput(t.amount, t.currency);
                key = P.newIdempotencyKey();
                P.dialog({
                    title: 'Capture this payment?',
                    body: [h('p', { text: 'The customer is charged. Capture less than ' + P.formatMoney(t.amount, t.currency) +
                        ' to release the rest of the authorization.' }),
                    P.field('Amount to capture (' + t.currency + ')', amount)],
                    confirm: 'Capture',
                    submit: function () {
                        var read = readAmount(amount, t.currency, t.amount);
                        if (read.error) {
                            return P.invalid(read.error, amount);
                        }
                        return api('POST', '/transactions/' + enc(t.id) + '/capture', { amount: read.value }, { idempotencyKey: key }).then(function () {
                            P.toast('Captured ' + P.formatMoney(read.value, t.currency) + '.');
                            reload();
                        });
                    }
                });
            }, 'primary'));
            actions.push(button('Cancel payment', function () {
                key = P.newIdempotencyKey();
                P.dialog({
                    title: 'Cancel this payment?',
                    body: [h('p', { text: 'The authorization of ' + P.formatMoney(t.amount, t.currency) +
                        ' is released and the customer is not charged. This cannot be undone.' })],
                    confirm: 'Cancel payment', cancel: 'Keep it', danger: true,
                    submit: function () {
                        return api('POST', '/transactions/' + enc(t.id) + '/cancel', {}, { idempotencyKey: key }).then(function () {
                            P.toast('Payment canceled.');
                            reload();
                        });
                    }
                });
            }, 'danger'));
        }
        var refundable = (t.amountCaptured || 0) - (t.amountRefunded || 0);
        if (t.status === 'succeeded' && refundable > 0) {
            actions.push(button('Refund', function () {
                var amount = amountInput(refundable, t.currency);
                var reason = h('input', { type: 'text', autocomplete: 'off', placeholder: 'requested_by_customer' });
                key = P.newIdempotencyKey();
                P.dialog({
                    title: 'Refund this payment?',
                    body: [h('p', { text: 'Up to ' + P.formatMoney(refundable, t.currency) + ' can be refunded. ' +
                        'The money goes back to the customer; this cannot be undone.' }),
                    P.field('Amount to refund (' + t.currency + ')', amount),
                    P.field('Reason (optional)', reason, 'Stored with the refund, for your records.')],
                    confirm: 'Refund', danger: true,
                    submit: function () {
                        var read = readAmount(amount, t.currency, refundable);
                        if (read.error) {
                            return P.invalid(read.error, amount);
                        }
                        var body = { amount: read.value };
                        if (reason.value.trim()) {
                            body.reason = reason.value.trim();
                        }
                        return api('POST', '/transactions/' + enc(t.id) + '/refunds', body, { idempotencyKey: key }).then(function (refund) {
                            P.toast((refund && refund.status === 'pending' ? 'Refund of ' + P.formatMoney(read.value, t.currency) +
                                ' requested; the provider has not confirmed it yet.' : 'Refunded ' + P.formatMoney(read.value, t.currency) + '.'));
                            reload();
                        });
                    }
                });
            }, 'danger'));
        }
        return actions;
    }

    // The transaction's story: from /transactions/{id}/timeline when the gateway has it, else
    // put together here from the transaction and its IPN deliveries.
    function timelineOf(t, deliveries) {
        return api('GET', '/transactions/' + enc(t.id) + '/timeline').then(function (answer) {
            return (answer.data || []).map(function (e) {
                var kind = e.type || '';
                // The title already names the amount and the HTTP status; the detail adds why.
                var detail = [e.code || '', e.message || '', e.error || ''].filter(Boolean).join(' · ');
                var status = String(e.status || '') + ' ' + kind;
                var failedCall = e.statusCode && (e.statusCode < 200 || e.statusCode >= 300);
                if (e.statusCode && !failedCall) {
                    status += ' succeeded';
                }
                return {
                    at: e.at,
                    what: e.title || humanize(kind),
                    detail: detail + (e.approximate ? ' (time approximate)' : ''),
                    tone: failedCall || /fail|declin|error|cancel|dispute/.test(status) ? 'bad'
                        : (/succeed|captur|complet|refund|deliver/.test(status) ? 'good' : '')
                };
            });
        }, function (error) {
            if (!P.routeMissing(error)) {
                throw error;
            }
            var events = [{ at: t.createdAt, what: 'Payment created', detail: P.formatMoney(t.amount, t.currency) + ' via ' + (t.provider || 'provider'), tone: '' }];
            if (t.status !== 'pending') {
                events.push({ at: t.createdAt, what: 'Status: ' + humanize(t.status),
                    detail: [t.failureCode, t.failureMessage].filter(Boolean).join(': '),
                    tone: t.status === 'succeeded' ? 'good' : (t.status === 'failed' || t.status === 'canceled' ? 'bad' : 'warn') });
            }
            (t.refunds || []).forEach(function (r) {
                events.push({ at: r.createdAt, what: 'Refund ' + P.formatMoney(r.amount, r.currency) + ' ' + r.status,
                    detail: r.reason || r.failureCode || '', tone: r.status === 'failed' ? 'bad' : 'good' });
            });
            (t.disputes || []).forEach(function (d) {
                events.push({ at: d.createdAt, what: 'Dispute ' + P.formatMoney(d.amount, t.currency) + ' ' + d.status, detail: d.reason, tone: 'bad' });
            });
            if (t.lastActionFailure) {
                events.push({ at: t.lastActionFailure.at, what: humanize(t.lastActionFailure.action) + ' failed',
                    detail: t.lastActionFailure.message, tone: 'bad' });
            }
            deliveries.forEach(function (d) {
                (d.attempts || []).forEach(function (a, index) {
                    var ok = a.statusCode >= 200 && a.statusCode < 300;
                    events.push({ at: a.at, what: 'IPN ' + d.eventType + ' attempt ' + (index + 1) + ': ' +
                        (a.statusCode ? 'HTTP ' + a.statusCode : 'no answer'), detail: a.error || '', excerpt: a.responseExcerpt,
                    tone: ok ? 'good' : 'bad' });
                });
            });
            return events;
        }).then(function (events) {
            return events.filter(function (e) { return e.at; }).sort(function (a, b) { return new Date(a.at) - new Date(b.at); });
        });
    }

    // IPN deliveries about one object: ?objectId= when the gateway has it, else the site's
    // recent deliveries filtered here.
    function deliveriesFor(objectId, siteId) {
        return api('GET', '/ipn-deliveries' + q({ objectId: objectId, limit: 100 })).then(function (list) {
            return list.data;
        }, function (error) {
            if (error.status !== 400 && error.status !== 404) {
                throw error;
            }
            return api('GET', '/ipn-deliveries' + q({ siteId: siteId, limit: 100 })).then(function (list) {
                return list.data.filter(function (d) { return d.transactionId === objectId || d.checkoutId === objectId; });
            });
        });
    }

    function timelineList(events) {
        if (events.length === 0) {
            return P.empty('Nothing has happened yet', null);
        }
        return h('ol', { class: 'timeline' }, events.map(function (e) {
            return h('li', { class: e.tone || '' },
                h('p', { class: 'what', text: e.what }),
                h('p', { class: 'when' }, P.time(e.at)),
                e.detail ? h('p', { class: 'detail', text: e.detail }) : null,
                e.excerpt ? h('pre', { class: 'excerpt', text: e.excerpt }) : null);
        }));
    }

    P.route('/transactions/:id', { nav: '/transactions', permission: 'transactions:read', render: function (main, params) {
        function show() {
            P.load(main, 'the transaction', function () {
                return Promise.all([api('GET', '/transactions/' + enc(params.id)), sites()]);
            }, function (result) {
                var t = result[0];
                var timelineBox = h('div');
                var ipnBox = h('div');
                P.append(main, [
                    P.heading(P.formatMoney(t.amount, t.currency), [P.badge(t.status), ' ', code(t.id)],
                        transactionActions(t, show), P.link('/transactions', '← Transactions')),
                    h('div', { class: 'grid-2' },
                        section('Details', P.facts([
                            ['Status', P.badge(t.status)],
                            ['Amount', money(t.amount, t.currency)],
                            ['Captured', money(t.amountCaptured, t.currency)],
                            ['Refunded', money(t.amountRefunded, t.currency)],
                            t.taxAmount ? ['Tax', [money(t.taxAmount, t.currency), ' (' + (t.taxRateBps / 100) + ' %' + (t.taxCountry ? ', ' + t.taxCountry : '') + ')']] : null,
                            ['Capture', t.captureMethod],
                            ['Payment method', t.paymentMethod ? (t.paymentMethod.type + ' ' + (t.paymentMethod.token || t.paymentMethod.vpa || '')) : null],
                            ['Provider', [t.provider, t.providerReference ? [' · ', code(t.providerReference)] : null]],
                            ['Site', siteName(result[1], t.siteId)],
                            ['Checkout', P.can('checkout:read') ? P.link('/checkouts/' + enc(t.checkoutId), t.checkoutId) : code(t.checkoutId)],
                            ['Customer', t.customerId ? P.link('/customers/' + enc(t.customerId), t.customerId) : null],
                            ['Invoice', t.invoiceId ? code(t.invoiceId) : null],
                            t.failureCode ? ['Failure', t.failureCode + (t.failureMessage ? ': ' + t.failureMessage : '')] : null,
                            t.pendingAction ? ['Waiting for', humanize(t.pendingAction) + ' (the provider has not confirmed it yet)'] : null,
                            ['Created', P.time(t.createdAt)],
                            ['Updated', P.time(t.updatedAt)]
                        ])),
                        section('Timeline', timelineBox)),
                    (t.refunds || []).length ? section('Refunds', P.table('Refunds', [
                        { label: 'Amount', class: 'num', cell: function (r) { return P.formatMoney(r.amount, r.currency); } },
                        { label: 'Status', cell: function (r) { return P.badge(r.status); } },
                        { label: 'Reason', cell: function (r) { return r.reason || r.failureCode; } },
                        { label: 'ID', class: 'wide-only', cell: function (r) { return code(r.id); } },
                        { label: 'Created', class: 'nowrap', cell: function (r) { return P.time(r.createdAt); } }
                    ], t.refunds)) : null,
                    section('IPN deliveries', ipnBox)
                ]);
                var deliveries = deliveriesFor(t.id, t.siteId);
                P.load(ipnBox, 'IPN deliveries', function () { return deliveries; }, function (list) {
                    ipnBox.appendChild(deliveriesTable(list, show));
                });
                P.load(timelineBox, 'the timeline', function () {
                    return deliveries.catch(function () { return []; }).then(function (list) { return timelineOf(t, list); });
                }, function (events) {
                    timelineBox.appendChild(timelineList(events));
                });
            });
        }
        show();
    } });

    // ---- IPN deliveries -----------------------------------------------------------------------

    function attemptsDetails(d) {
        var attempts = d.attempts || [];
        if (attempts.length === 0) {
            return h('span', { class: 'muted', text: 'No attempt yet' });
        }
        return h('details', { class: 'attempts' },
            h('summary', { text: attempts.length + (attempts.length === 1 ? ' attempt' : ' attempts') }),
            h('ol', null, attempts.map(function (a) {
                return h('li', null,
                    h('div', null, a.statusCode ? P.badge(a.statusCode >= 200 && a.statusCode < 300 ? 'succeeded' : 'failed', 'HTTP ' + a.statusCode)
                        : P.badge('failed', 'no answer'), ' ', P.time(a.at), ' · ' + a.latencyMs + ' ms'),
                    a.error ? h('div', { class: 'detail', text: a.error }) : null,
                    a.responseExcerpt ? h('pre', { class: 'excerpt', text: a.responseExcerpt }) : null);
            })));
    }

    function resendButton(d, reload) {
        if (!P.can('webhooks:write')) {
            return null;
        }
        return h('button', { type: 'button', class: 'small', text: 'Resend', 'aria-label': 'Resend ' + d.eventType + ' to ' + d.url,
            onclick: function () {
                P.dialog({
                    title: 'Send this IPN again?',
                    body: [h('p', { text: 'Paygate delivers the ' + d.eventType + ' notification to ' + d.url +
                        ' again, signed as before. Your server should handle it idempotently.' })],
                    confirm: 'Resend',
                    submit: function () {
                        return api('POST', '/ipn-deliveries/' + enc(d.id) + '/resend', {}).then(function () {
                            P.toast('The IPN is queued for delivery.');
                            reload();
                        });
                    }
                });
            } });
    }

    function deliveriesTable(list, reload) {
        if (list.length === 0) {
            return P.empty('No IPN deliveries', 'Paygate notifies your site’s IPN URL when a payment changes; those calls appear here.');
        }
        return P.table('IPN deliveries', deliveryColumns(reload), list);
    }

    function deliveryColumns(reload) {
        return [
            { label: 'Event', cell: function (d) { return code(d.eventType); } },
            { label: 'Status', cell: function (d) { return P.badge(d.status); } },
            { label: 'URL', class: 'wide-only url', cell: function (d) { return d.url; } },
            { label: 'Attempts', cell: attemptsDetails },
            { label: 'Next attempt', class: 'nowrap wide-only', hideEmpty: true, cell: function (d) { return d.nextAttemptAt ? P.time(d.nextAttemptAt) : null; } },
            { label: 'Created', class: 'nowrap', cell: function (d) { return P.time(d.createdAt); } },
            P.can('webhooks:write') ? { label: 'Actions', class: 'actions-cell', cell: function (d) { return resendButton(d, reload); } } : null
        ].filter(Boolean);
    }

    P.route('/ipn-deliveries', { nav: '/ipn-deliveries', permission: 'transactions:read', render: function (main) {
        var search = P.query();
        var box = h('div');
        var status = P.select('status', [['', 'Any status'], ['pending', 'Pending'], ['succeeded', 'Succeeded'], ['failed', 'Failed']], search.get('status') || '');
        var site = P.select('site', [['', 'All sites']], search.get('site') || '');
        var form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter IPN deliveries' },
            P.field('Status', status), P.field('Site', site),
            h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', text: 'Apply filters' })));
        form.addEventListener('submit', function (event) {
            event.preventDefault();
            P.navigate('/ipn-deliveries' + q({ status: status.value, site: site.value }));
        });
        P.append(main, [
            P.heading('IPN deliveries', 'Notifications Paygate sent to your servers, with every attempt and what your server answered.'),
            section('Filters', form),
            h('section', { class: 'panel', 'aria-label': 'IPN deliveries' }, box)
        ]);
        function show() {
            sites().then(function (list) {
                if (site.options.length === 1) {
                    list.forEach(function (s) {
                        site.appendChild(h('option', { value: s.id, selected: s.id === search.get('site'), text: s.name }));
                    });
                }
                pagedList(box, {
                    path: '/ipn-deliveries', params: { status: search.get('status'), siteId: search.get('site') },
                    what: 'IPN deliveries', columns: deliveryColumns(show),
                    emptyTitle: 'No IPN deliveries',
                    emptyHint: 'Set an IPN URL on a site or checkout; each notification Paygate sends appears here.'
                });
            });
        }
        show();
    } });

    // ---- checkouts ----------------------------------------------------------------------------

    P.route('/checkouts', { nav: '/checkouts', permission: 'checkout:read', render: function (main) {
        var search = P.query();
        var box = h('div');
        var status = P.select('status', [['', 'Any status']].concat(['open', 'processing', 'completed', 'expired', 'canceled'].map(function (s) {
            return [s, humanize(s)];
        })), search.get('status') || '');
        var form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter checkouts' }, P.field('Status', status),
            h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', text: 'Apply filters' })));
        form.addEventListener('submit', function (event) {
            event.preventDefault();
            P.navigate('/checkouts' + q({ status: status.value }));
        });
        P.append(main, [P.heading('Checkouts', 'Payment pages your servers created.'), section('Filters', form),
            h('section', { class: 'panel', 'aria-label': 'Checkouts' }, box)]);
        sites().then(function (list) {
            pagedList(box, {
                path: '/checkouts', params: { status: search.get('status') }, what: 'checkouts',
                columns: [
                    { label: 'Amount', class: 'num', cell: function (c) { return P.link('/checkouts/' + enc(c.id), P.formatMoney(c.amount, c.currency)); } },
                    { label: 'Status', cell: function (c) { return P.badge(c.status); } },
                    { label: 'Description', cell: function (c) { return c.description; } },
                    { label: 'Customer', cell: function (c) { return c.customer && (c.customer.email || c.customer.name); } },
                    { label: 'Site', class: 'wide-only', cell: function (c) { return siteName(list, c.siteId); } },
                    { label: 'Created', class: 'nowrap', cell: function (c) { return P.time(c.createdAt); } }
                ],
                emptyTitle: 'No checkouts', emptyHint: 'Your server creates checkouts with POST /api/v1/checkouts/{siteId}/create.'
            });
        });
    } });

    P.route('/checkouts/:id', { nav: '/checkouts', permission: 'checkout:read', render: function (main, params) {
        P.load(main, 'the checkout', function () { return api('GET', '/checkouts/' + enc(params.id)); }, function (c) {
            P.append(main, [
                P.heading(P.formatMoney(c.amount, c.currency), [P.badge(c.status), ' ', code(c.id)], null, P.link('/checkouts', '← Checkouts')),
                h('div', { class: 'grid-2' },
                    section('Details', P.facts([
                        ['Description', c.description],
                        ['Mode', c.mode],
                        ['Customer', c.customer ? [c.customer.name, c.customer.name && c.customer.email ? ' · ' : '', c.customer.email].join('') : null],
                        ['Transaction', c.transactionId ? (P.can('transactions:read') ? P.link('/transactions/' + enc(c.transactionId), c.transactionId) : code(c.transactionId)) : null],
                        ['Subscription', c.subscriptionId ? P.link('/subscriptions/' + enc(c.subscriptionId), c.subscriptionId) : null],
                        ['Capture', c.captureMethod],
                        ['IPN URL', c.ipnUrl],
                        ['Success URL', c.successUrl],
                        ['Created', P.time(c.createdAt)],
                        ['Expires', P.time(c.expiresAt)]
                    ])),
                    section('Payment page', [
                        h('p', { text: 'Send the customer to this address to pay.' }),
                        h('div', { class: 'secret' }, h('input', { type: 'text', readOnly: true, value: c.paymentUrl, 'aria-label': 'Payment page address' }),
                            P.copyButton(function () { return c.paymentUrl; }))
                    ])),
                (c.lineItems || []).length ? section('Line items', P.table('Line items', [
                    { label: 'Item', cell: function (l) { return l.name; } },
                    { label: 'Quantity', class: 'num', cell: function (l) { return String(l.quantity); } },
                    { label: 'Amount', class: 'num', cell: function (l) { return P.formatMoney(l.amount, c.currency); } }
                ], c.lineItems)) : null
            ]);
        });
    } });

    // ---- customers, plans, subscriptions ------------------------------------------------------

    P.route('/customers', { nav: '/customers', permission: 'customers:read', render: function (main) {
        var search = P.query();
        var box = h('div');
        var email = h('input', { type: 'search', name: 'email', value: search.get('email') || '' });
        var form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Find customers' }, P.field('Email', email),
            h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', text: 'Search' })));
        form.addEventListener('submit', function (event) {
            event.preventDefault();
            P.navigate('/customers' + q({ email: email.value.trim() }));
        });
        var create = P.can('customers:write') ? button('New customer', function () {
            var newEmail = h('input', { type: 'email', autocomplete: 'off' });
            var name = h('input', { type: 'text', autocomplete: 'off' });
            P.dialog({
                title: 'New customer', confirm: 'Create customer',
                body: [P.field('Email', newEmail), P.field('Name', name)],
                submit: function () {
                    if (!newEmail.value.trim()) {
                        return P.invalid('Enter the customer’s email address.', newEmail);
                    }
                    return api('POST', '/customers', { email: newEmail.value.trim(), name: name.value.trim() || undefined },
                        { idempotencyKey: P.newIdempotencyKey() }).then(function (c) {
                        P.navigate('/customers/' + enc(c.id));
                    });
                }
            });
        }, 'primary') : null;
        P.append(main, [P.heading('Customers', 'People and companies who pay you.', [create]), section('Search', form),
            h('section', { class: 'panel', 'aria-label': 'Customers' }, box)]);
        pagedList(box, {
            path: '/customers', params: { email: search.get('email') }, what: 'customers',
            columns: [
                { label: 'Email', cell: function (c) { return P.link('/customers/' + enc(c.id), c.email || c.id); } },
                { label: 'Name', cell: function (c) { return c.name; } },
                { label: 'Country', class: 'wide-only', cell: function (c) { return c.address && c.address.country; } },
                { label: 'Created', class: 'nowrap', cell: function (c) { return P.time(c.createdAt); } }
            ],
            emptyTitle: search.get('email') ? 'No customer with that email' : 'No customers yet',
            emptyHint: 'Customers are created by your server or by a subscription checkout.'
        });
    } });

    P.route('/customers/:id', { nav: '/customers', permission: 'customers:read', render: function (main, params) {
        P.load(main, 'the customer', function () { return api('GET', '/customers/' + enc(params.id)); }, function (c) {
            var subscriptionsBox = h('div');
            var invoicesBox = h('div');
            P.append(main, [
                P.heading(c.name || c.email || c.id, [code(c.id)], null, P.link('/customers', '← Customers')),
                section('Details', P.facts([
                    ['Email', c.email], ['Name', c.name], ['VAT ID', c.vatId],
                    ['Address', c.address ? [c.address.line1, c.address.postalCode, c.address.city, c.address.country].filter(Boolean).join(', ') : null],
                    ['Language', c.language], ['Created', P.time(c.createdAt)]
                ])),
                P.can('subscriptions:read') ? section('Subscriptions', subscriptionsBox) : null,
                P.can('transactions:read') ? section('Invoices', invoicesBox) : null
            ]);
            if (P.can('subscriptions:read')) {
                pagedList(subscriptionsBox, { path: '/subscriptions', params: { customerId: c.id }, what: 'subscriptions',
                    columns: subscriptionColumns(), emptyTitle: 'No subscriptions', emptyHint: null });
            }
            if (P.can('transactions:read')) {
                pagedList(invoicesBox, { path: '/invoices', params: { customerId: c.id }, what: 'invoices',
                    columns: documentColumns('invoice'), emptyTitle: 'No invoices', emptyHint: null });
            }
        });
    } });

    var INTERVALS = [['day', 'Daily'], ['week', 'Weekly'], ['month', 'Monthly'], ['year', 'Yearly']];

    function every(count, interval) {
        return count > 1 ? 'every ' + count + ' ' + interval + 's' : 'per ' + interval;
    }

    P.route('/plans', { nav: '/plans', permission: 'plans:read', render: function (main) {
        var box = h('div');
        function show() {
            pagedList(box, {
                path: '/plans', what: 'plans',
                columns: [
                    { label: 'Name', cell: function (p) { return p.name; } },
                    { label: 'Price', class: 'num', cell: function (p) { return P.formatMoney(p.amount, p.currency) + ' ' + every(p.intervalCount, p.interval); } },
                    { label: 'Trial', cell: function (p) { return p.trialDays ? p.trialDays + ' days' : null; } },
                    { label: 'Status', cell: function (p) { return P.badge(p.active ? 'active' : 'expired', p.active ? 'active' : 'archived'); } },
                    { label: 'ID', class: 'wide-only', cell: function (p) { return code(p.id); } },
                    { label: 'Actions', class: 'actions-cell', hideEmpty: true, cell: function (p) {
                        if (!P.can('plans:write')) {
                            return null;
                        }
                        return h('button', { type: 'button', class: 'small', text: p.active ? 'Archive' : 'Reactivate',
                            onclick: function () {
                                P.dialog({
                                    title: p.active ? 'Archive ' + p.name + '?' : 'Reactivate ' + p.name + '?',
                                    body: [h('p', { text: p.active ? 'No new subscriptions can start on this plan. Existing subscriptions continue.'
                                        : 'New subscriptions can start on this plan again.' })],
                                    confirm: p.active ? 'Archive' : 'Reactivate', danger: p.active,
                                    submit: function () {
                                        return api('PATCH', '/plans/' + enc(p.id), { active: !p.active }).then(show);
                                    }
                                });
                            } });
                    } }
                ],
                emptyTitle: 'No plans yet', emptyHint: 'A plan is a price that repeats: create one to sell subscriptions.'
            });
        }
        var create = P.can('plans:write') ? button('New plan', function () {
            var name = h('input', { type: 'text' });
            var currency = h('input', { type: 'text', value: 'EUR', maxlength: '3' });
            var amount = h('input', { type: 'text', inputmode: 'decimal', placeholder: '19.00' });
            var interval = P.select('interval', INTERVALS, 'month');
            var count = h('input', { type: 'number', min: '1', value: '1' });
            var trial = h('input', { type: 'number', min: '0', value: '0' });
            P.dialog({
                title: 'New plan', confirm: 'Create plan',
                body: [P.field('Name', name), P.field('Currency', currency), P.field('Price', amount, 'Per period, in the currency above.'),
                    P.field('Billing period', interval), P.field('Periods between charges', count), P.field('Trial days', trial)],
                submit: function () {
                    var cur = currency.value.trim().toUpperCase();
                    var minor = P.parseAmount(amount.value, cur);
                    if (!name.value.trim()) {
                        return P.invalid('Give the plan a name.', name);
                    }
                    if (minor === null || minor <= 0) {
                        return P.invalid('Enter the price in ' + (cur || 'the currency') + ', for example 19.00.', amount);
                    }
                    return api('POST', '/plans', { name: name.value.trim(), amount: minor, currency: cur, interval: interval.value,
                        intervalCount: Number(count.value) || 1, trialDays: Number(trial.value) || 0 }, { idempotencyKey: P.newIdempotencyKey() }).then(show);
                }
            });
        }, 'primary') : null;
        P.append(main, [P.heading('Plans', 'Prices that repeat, for subscriptions.', [create]), h('section', { class: 'panel', 'aria-label': 'Plans' }, box)]);
        show();
    } });

    function subscriptionColumns() {
        return [
            { label: 'Plan', cell: function (s) { return P.link('/subscriptions/' + enc(s.id), s.planName || s.planId); } },
            { label: 'Price', class: 'num', cell: function (s) { return P.formatMoney(s.amount, s.currency) + ' ' + every(s.intervalCount, s.interval); } },
            { label: 'Status', cell: function (s) { return [P.badge(s.status), s.cancelAtPeriodEnd ? [' ', P.badge('pending', 'ends at period end')] : null]; } },
            { label: 'Customer', class: 'wide-only', cell: function (s) { return P.link('/customers/' + enc(s.customerId), s.customerId); } },
            { label: 'Next charge', class: 'nowrap', cell: function (s) { return s.nextChargeAt ? P.time(s.nextChargeAt, true) : null; } }
        ];
    }

    P.route('/subscriptions', { nav: '/subscriptions', permission: 'subscriptions:read', render: function (main) {
        var search = P.query();
        var box = h('div');
        var status = P.select('status', [['', 'Any status']].concat(['incomplete', 'trialing', 'active', 'past_due', 'unpaid', 'canceled'].map(function (s) {
            return [s, humanize(s)];
        })), search.get('status') || '');
        var form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter subscriptions' }, P.field('Status', status),
            h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', text: 'Apply filters' })));
        form.addEventListener('submit', function (event) {
            event.preventDefault();
            P.navigate('/subscriptions' + q({ status: status.value }));
        });
        P.append(main, [P.heading('Subscriptions', 'Customers paying a plan every period.'), section('Filters', form),
            h('section', { class: 'panel', 'aria-label': 'Subscriptions' }, box)]);
        pagedList(box, { path: '/subscriptions', params: { status: search.get('status') }, what: 'subscriptions',
            columns: subscriptionColumns(), emptyTitle: 'No subscriptions', emptyHint: 'Subscriptions start from a subscription checkout or from your server.' });
    } });

    P.route('/subscriptions/:id', { nav: '/subscriptions', permission: 'subscriptions:read', render: function (main, params) {
        function show() {
            P.load(main, 'the subscription', function () { return api('GET', '/subscriptions/' + enc(params.id)); }, function (s) {
                var actions = [];
                if (P.can('subscriptions:write') && s.status !== 'canceled' && s.status !== 'incomplete_expired') {
                    if (s.cancelAtPeriodEnd) {
                        actions.push(button('Resume', function () {
                            P.dialog({ title: 'Resume this subscription?', body: [h('p', { text: 'It renews at the end of the period again.' })],
                                confirm: 'Resume', submit: function () {
                                    return api('POST', '/subscriptions/' + enc(s.id) + '/resume', {}, { idempotencyKey: P.newIdempotencyKey() }).then(show);
                                } });
                        }, 'primary'));
                    }
                    actions.push(button('Cancel subscription', function () {
                        var when = P.select('when', [['end', 'At the end of the current period'], ['now', 'Now']], 'end');
                        var comment = h('textarea', {});
                        P.dialog({
                            title: 'Cancel this subscription?', danger: true, confirm: 'Cancel subscription', cancel: 'Keep it',
                            body: [h('p', { text: 'The customer is not charged again. Canceling now ends access at once; this cannot be undone.' }),
                                P.field('When', when), P.field('Note (optional)', comment)],
                            submit: function () {
                                var body = { atPeriodEnd: when.value === 'end' };
                                if (comment.value.trim()) {
                                    body.comment = comment.value.trim();
                                }
                                return api('POST', '/subscriptions/' + enc(s.id) + '/cancel', body, { idempotencyKey: P.newIdempotencyKey() }).then(show);
                            }
                        });
                    }, 'danger'));
                }
                P.append(main, [
                    P.heading(s.planName || 'Subscription', [P.badge(s.status), ' ', code(s.id)], actions, P.link('/subscriptions', '← Subscriptions')),
                    section('Details', P.facts([
                        ['Price', P.formatMoney(s.amount, s.currency) + ' ' + every(s.intervalCount, s.interval)],
                        ['Customer', P.link('/customers/' + enc(s.customerId), s.customerId)],
                        ['Current period', s.currentPeriodStart ? [P.time(s.currentPeriodStart, true), ' – ', P.time(s.currentPeriodEnd, true)] : null],
                        ['Next charge', s.upcoming ? [money(s.upcoming.amount, s.upcoming.currency), ' on ', P.time(s.upcoming.date, true)] : null],
                        ['Trial ends', s.trialEnd ? P.time(s.trialEnd, true) : null],
                        ['Ends at period end', s.cancelAtPeriodEnd ? 'Yes' : 'No'],
                        ['Canceled', s.canceledAt ? P.time(s.canceledAt) : null],
                        ['Payment method', s.paymentMethod],
                        ['Failed attempts', String(s.failedAttempts || 0)],
                        ['Periods paid', String(s.periodsPaid || 0)],
                        ['Created', P.time(s.createdAt)]
                    ]))
                ]);
            });
        }
        show();
    } });

    // ---- invoices and credit notes ------------------------------------------------------------

    function documentColumns(kind) {
        var base = kind === 'invoice' ? '/invoices/' : '/credit-notes/';
        return [
            { label: 'Number', cell: function (d) { return h('strong', { text: d.number }); } },
            { label: 'Customer', cell: function (d) { return d.buyer && (d.buyer.name || d.buyer.email); } },
            { label: 'Total', class: 'num', cell: function (d) { return P.formatMoney(d.totals && d.totals.gross, d.currency); } },
            kind === 'credit_note' ? { label: 'Invoice', class: 'wide-only', cell: function (d) { return d.invoiceNumber; } } : null,
            { label: 'Issued', class: 'nowrap', cell: function (d) { return P.time(d.issuedAt, true); } },
            { label: 'PDF', class: 'actions-cell', cell: function (d) {
                var b = h('button', { type: 'button', class: 'small', text: 'Download PDF', 'aria-label': 'Download PDF of ' + d.number });
                b.addEventListener('click', function () {
                    b.disabled = true;
                    P.download(base + enc(d.id) + '/pdf', d.number + '.pdf').then(function () {
                        b.disabled = false;
                    }, function (error) {
                        b.disabled = false;
                        P.toast('The PDF could not be downloaded. ' + P.explain(error));
                    });
                });
                return b;
            } }
        ].filter(Boolean);
    }

    function documentsPage(kind, title, path, subtitle) {
        return { nav: path, permission: 'transactions:read', render: function (main) {
            var box = h('div');
            P.append(main, [P.heading(title, subtitle), h('section', { class: 'panel', 'aria-label': title }, box)]);
            pagedList(box, { path: path, what: title.toLowerCase(), columns: documentColumns(kind),
                emptyTitle: 'No ' + title.toLowerCase() + ' yet',
                emptyHint: kind === 'invoice' ? 'Paygate issues an invoice for every successful payment once your seller details are set.'
                    : 'A refund of an invoiced payment issues a credit note.' });
        } };
    }

    P.route('/invoices', documentsPage('invoice', 'Invoices', '/invoices', 'Issued for paid transactions, numbered without gaps.'));
    P.route('/credit-notes', documentsPage('credit_note', 'Credit notes', '/credit-notes', 'Issued for refunds of invoiced payments.'));

    // ---- sites and domains --------------------------------------------------------------------

    function showSecretDialog(title, lead, label, secret) {
        P.dialog({ title: title, cancel: 'Done', body: [h('p', { text: lead }), P.secretBox(label, secret)] });
    }

    P.route('/sites', { nav: '/sites', permission: 'sites:read', render: function (main) {
        var box = h('div');
        function show() {
            forgetSites();
            pagedList(box, { path: '/sites', what: 'sites',
                columns: [
                    { label: 'Name', cell: function (s) { return P.link('/sites/' + enc(s.id), s.name); } },
                    { label: 'IPN URL', cell: function (s) { return s.ipnUrl; } },
                    { label: 'Domains', class: 'wide-only', cell: function (s) { return (s.domains || []).map(function (d) { return d.domain; }).join(', '); } },
                    { label: 'ID', class: 'wide-only', cell: function (s) { return code(s.id); } },
                    { label: 'Created', class: 'nowrap', cell: function (s) { return P.time(s.createdAt); } }
                ],
                emptyTitle: 'No sites yet', emptyHint: 'A site is one shop or app that takes payments through Paygate.' });
        }
        var create = P.can('sites:write') ? button('New site', function () {
            var name = h('input', { type: 'text' });
            P.dialog({ title: 'New site', confirm: 'Create site', body: [P.field('Name', name, 'Your shop’s or app’s name, as payers see it.')],
                submit: function () {
                    if (!name.value.trim()) {
                        return P.invalid('Give the site a name.', name);
                    }
                    return api('POST', '/sites', { name: name.value.trim() }, { idempotencyKey: P.newIdempotencyKey() }).then(function (site) {
                        show();
                        return { keepOpen: true, body: [h('p', { text: 'Site ' + site.name + ' is ready. Its IPN signing secret:' }),
                            P.secretBox('Webhook signing secret', site.webhookSecret || '')] };
                    });
                } });
        }, 'primary') : null;
        P.append(main, [P.heading('Sites', 'Each shop or app that takes payments.', [create]), h('section', { class: 'panel', 'aria-label': 'Sites' }, box)]);
        show();
    } });

    P.route('/sites/:id', { nav: '/sites', permission: 'sites:read', render: function (main, params) {
        function show() {
            forgetSites();
            P.load(main, 'the site', function () {
                return Promise.all([api('GET', '/sites/' + enc(params.id)),
                    P.can('providers:read') ? api('GET', '/providers?limit=100').then(function (l) { return l.data; }, function () { return []; }) : []]);
            }, function (result) {
                var s = result[0];
                var providers = result[1];
                var actions = [];
                if (P.can('sites:write')) {
                    actions.push(button('Edit', function () {
                        var name = h('input', { type: 'text', value: s.name });
                        var ipn = h('input', { type: 'url', value: s.ipnUrl || '', placeholder: 'https://shop.example/paygate/ipn' });
                        var origins = h('textarea', { value: (s.allowedOrigins || []).join('\n') });
                        var provider = P.select('provider', [['', 'Built-in sandbox']].concat(providers.map(function (p) { return [p.id, p.name + ' (' + p.type + ')']; })), s.providerId || '');
                        P.dialog({ title: 'Edit ' + s.name, confirm: 'Save',
                            body: [P.field('Name', name), P.field('IPN URL', ipn, 'Where Paygate sends signed notifications. Leave empty for none.'),
                                P.field('Allowed origins', origins, 'One origin per line (https://shop.example) allowed to open checkout.js.'),
                                providers.length ? P.field('Payment provider', provider) : null],
                            submit: function () {
                                var body = { name: name.value.trim(), ipnUrl: ipn.value.trim(),
                                    allowedOrigins: origins.value.split('\n').map(function (o) { return o.trim(); }).filter(Boolean) };
                                if (providers.length) {
                                    body.providerId = provider.value;
                                }
                                return api('PATCH', '/sites/' + enc(s.id), body).then(show);
                            } });
                    }));
                    actions.push(button('Rotate webhook secret', function () {
                        P.dialog({ title: 'Rotate the webhook signing secret?', danger: true, confirm: 'Rotate secret',
                            body: [h('p', { text: 'IPNs are signed with a new secret from now on. Your server must use the new one; ' +
                                'signatures made with the old secret stop being sent.' })],
                            submit: function () {
                                return api('POST', '/sites/' + enc(s.id) + '/rotate-secret', {}).then(function (answer) {
                                    return { keepOpen: true, body: [h('p', { text: 'The new secret for ' + s.name + ':' }),
                                        P.secretBox('Webhook signing secret', answer.webhookSecret || '')] };
                                });
                            } });
                    }, 'danger'));
                }
                P.append(main, [
                    P.heading(s.name, [code(s.id)], actions, P.link('/sites', '← Sites')),
                    section('Details', P.facts([
                        ['IPN URL', s.ipnUrl],
                        ['Allowed origins', (s.allowedOrigins || []).join(', ')],
                        ['Provider', s.providerId ? siteProviderName(providers, s.providerId) : 'Built-in sandbox'],
                        ['Checkout domain', s.checkoutDomain],
                        ['Custom domains', (s.domains || []).length ? P.link('/domains', (s.domains || []).map(function (d) { return d.domain + ' (' + d.status + ')'; }).join(', ')) : null],
                        ['Created', P.time(s.createdAt)]
                    ]))
                ]);
            });
        }
        show();
    } });

    function siteProviderName(providers, id) {
        for (var i = 0; i < providers.length; i += 1) {
            if (providers[i].id === id) {
                return providers[i].name;
            }
        }
        return id;
    }

    P.route('/domains', { nav: '/domains', permission: 'sites:read', render: function (main) {
        var box = h('div');
        function show() {
            forgetSites();
            P.load(box, 'custom domains', sites, function (list) {
                var rows = [];
                list.forEach(function (s) {
                    (s.domains || []).forEach(function (d) {
                        rows.push({ site: s, domain: d });
                    });
                });
                if (rows.length === 0) {
                    P.append(box, [P.empty('No custom domains', 'Serve checkout pages on your own domain (pay.yourshop.example): add it, publish the DNS record, verify.')]);
                    return;
                }
                P.append(box, [P.table('Custom domains', [
                    { label: 'Domain', cell: function (r) { return h('strong', { text: r.domain.domain }); } },
                    { label: 'Site', cell: function (r) { return P.link('/sites/' + enc(r.site.id), r.site.name); } },
                    { label: 'State', cell: function (r) { return P.badge(r.domain.status); } },
                    { label: 'DNS record to publish', cell: function (r) {
                        var v = r.domain.verification || {};
                        return h('div', null, h('div', null, code(v.type + ' ' + v.name)), h('div', { class: 'secret' },
                            h('input', { type: 'text', readOnly: true, value: v.value, 'aria-label': 'Record value for ' + r.domain.domain }),
                            P.copyButton(function () { return v.value; })));
                    } },
                    { label: 'Actions', class: 'actions-cell', hideEmpty: true, cell: function (r) {
                        if (!P.can('sites:write')) {
                            return null;
                        }
                        var path = '/sites/' + enc(r.site.id) + '/domains/' + enc(r.domain.domain);
                        return [r.domain.status !== 'verified' ? h('button', { type: 'button', class: 'small', text: 'Verify', onclick: function (event) {
                            var b = event.currentTarget;
                            b.disabled = true;
                            api('POST', path + '/verify', {}).then(function (d) {
                                P.toast(d.status === 'verified' ? r.domain.domain + ' is verified.' : 'The DNS record for ' + r.domain.domain +
                                    ' was not found yet. DNS changes can take a while; try again later.');
                                show();
                            }, function (error) {
                                b.disabled = false;
                                P.toast(P.explain(error));
                            });
                        } }) : null, ' ', h('button', { type: 'button', class: 'small', text: 'Remove', onclick: function () {
                            P.dialog({ title: 'Remove ' + r.domain.domain + '?', danger: true, confirm: 'Remove domain',
                                body: [h('p', { text: 'Checkout pages stop being served on this domain.' })],
                                submit: function () { return api('DELETE', path).then(show); } });
                        } })];
                    } }
                ], rows)]);
            });
        }
        var add = P.can('sites:write') ? button('Add domain', function () {
            var domain = h('input', { type: 'text', placeholder: 'pay.yourshop.example' });
            var site = P.select('site', []);
            sites().then(function (list) {
                list.forEach(function (s) { site.appendChild(h('option', { value: s.id, text: s.name })); });
            });
            P.dialog({ title: 'Add a custom domain', confirm: 'Add domain', body: [P.field('Domain', domain), P.field('Site', site)],
                submit: function () {
                    if (!domain.value.trim()) {
                        return P.invalid('Enter the domain, for example pay.yourshop.example.', domain);
                    }
                    return api('POST', '/sites/' + enc(site.value) + '/domains', { domain: domain.value.trim() }).then(show);
                } });
        }, 'primary') : null;
        P.append(main, [P.heading('Custom domains', 'Checkout pages on your own domain, once you prove you own it.', [add]),
            h('section', { class: 'panel', 'aria-label': 'Custom domains' }, box)]);
        show();
    } });

    // ---- API keys and providers ---------------------------------------------------------------

    var SCOPES = ['checkout:create', 'checkout:read', 'transactions:read', 'transactions:write', 'sites:read', 'sites:write',
        'keys:read', 'keys:write', 'providers:read', 'providers:write', 'customers:read', 'customers:write', 'plans:read',
        'plans:write', 'portal:write', 'subscriptions:read', 'subscriptions:write', 'webhooks:write', 'users:read',
        'users:write', 'audit:read'];
    // Checked when a key is created: reading payments and making checkouts, what most servers need.
    var DEFAULT_SCOPES = ['checkout:create', 'checkout:read', 'transactions:read', 'sites:read', 'customers:read',
        'plans:read', 'subscriptions:read'];

    P.route('/api-keys', { nav: '/api-keys', permission: 'keys:read', render: function (main) {
        var box = h('div');
        function show() {
            pagedList(box, { path: '/api-keys', what: 'API keys',
                columns: [
                    { label: 'Name', cell: function (k) { return h('strong', { text: k.name || '(no name)' }); } },
                    { label: 'Key', cell: function (k) { return code(k.redacted); } },
                    { label: 'Mode', cell: function (k) { return P.badge(k.mode === 'live' ? 'succeeded' : 'pending', k.mode); } },
                    { label: 'Scopes', class: 'wide-only', cell: function (k) {
                        var scopes = k.scopes || [];
                        var missing = SCOPES.filter(function (scope) { return scopes.indexOf(scope) === -1; });
                        return missing.length === 0 ? 'All scopes' : scopes.join(', ');
                    } },
                    { label: 'Created', class: 'nowrap', cell: function (k) { return P.time(k.createdAt); } },
                    { label: 'State', cell: function (k) {
                        return k.revokedAt ? [P.badge('revoked'), h('div', { class: 'muted' }, P.time(k.revokedAt))] : P.badge('active');
                    } },
                    { label: 'Actions', class: 'actions-cell', hideEmpty: true, cell: function (k) {
                        if (k.revokedAt || !P.can('keys:write')) {
                            return null;
                        }
                        return h('button', { type: 'button', class: 'small', text: 'Revoke', 'aria-label': 'Revoke ' + (k.name || k.redacted), onclick: function () {
                            P.dialog({ title: 'Revoke ' + (k.name || k.redacted) + '?', danger: true, confirm: 'Revoke key', cancel: 'Keep it',
                                body: [h('p', { text: 'Every request made with this key fails from now on. Servers still using it stop working. This cannot be undone.' })],
                                submit: function () {
                                    return api('POST', '/api-keys/' + enc(k.id) + '/revoke', {}).then(function () {
                                        P.toast('Key ' + (k.name || k.redacted) + ' revoked.');
                                        show();
                                    });
                                } });
                        } });
                    } }
                ],
                emptyTitle: 'No API keys', emptyHint: 'Your servers use an API key to create checkouts and read payments.' });
        }
        var create = P.can('keys:write') ? button('Create API key', function () {
            var name = h('input', { type: 'text', placeholder: 'shop backend' });
            var checks = SCOPES.map(function (scope) {
                var input = h('input', { type: 'checkbox', value: scope, checked: DEFAULT_SCOPES.indexOf(scope) !== -1 });
                return h('label', { class: 'check' }, input, scope);
            });
            P.dialog({
                title: 'Create an API key', confirm: 'Create key',
                body: [P.field('Name', name, 'What uses it, so you know what breaks when you revoke it.'),
                    h('p', { text: 'The key works in ' + P.session.mode() + ' mode, like the data you are looking at.' }),
                    h('fieldset', { class: 'checks' }, h('legend', { text: 'Scopes: what the key may do' }), checks)],
                submit: function () {
                    var scopes = checks.map(function (c) { return c.firstChild; }).filter(function (i) { return i.checked; }).map(function (i) { return i.value; });
                    if (!name.value.trim()) {
                        return P.invalid('Give the key a name.', name);
                    }
                    if (scopes.length === 0) {
                        return P.invalid('Choose at least one scope.', checks[0].firstChild);
                    }
                    return api('POST', '/api-keys', { name: name.value.trim(), mode: P.session.mode(), scopes: scopes },
                        { idempotencyKey: P.newIdempotencyKey() }).then(function (key) {
                        show();
                        return { keepOpen: true, body: [h('p', { text: 'Key ' + key.name + ' is ready.' }), P.secretBox('Secret key', key.secret || '')] };
                    });
                }
            });
        }, 'primary') : null;
        P.append(main, [P.heading('API keys', 'Keys your servers use to call the Admin API.', [create]), h('section', { class: 'panel', 'aria-label': 'API keys' }, box)]);
        show();
    } });

    P.route('/providers', { nav: '/providers', permission: 'providers:read', render: function (main) {
        var box = h('div');
        function show() {
            pagedList(box, { path: '/providers', what: 'providers',
                columns: [
                    { label: 'Name', cell: function (p) { return h('strong', { text: p.name }); } },
                    { label: 'Type', cell: function (p) { return p.type; } },
                    { label: 'Credentials', class: 'wide-only', cell: function (p) { return p.credentialsHint ? code(p.credentialsHint) : null; } },
                    { label: 'Webhook URL', cell: function (p) {
                        return p.webhookUrl ? h('div', { class: 'secret' }, h('input', { type: 'text', readOnly: true, value: p.webhookUrl, 'aria-label': 'Webhook URL of ' + p.name }),
                            P.copyButton(function () { return p.webhookUrl; })) : null;
                    } },
                    { label: 'Actions', class: 'actions-cell', hideEmpty: true, cell: function (p) {
                        if (!P.can('providers:write')) {
                            return null;
                        }
                        return h('button', { type: 'button', class: 'small', text: 'Delete', onclick: function () {
                            P.dialog({ title: 'Delete ' + p.name + '?', danger: true, confirm: 'Delete provider',
                                body: [h('p', { text: 'Its credentials are erased. Sites using it must be moved to another provider first.' })],
                                submit: function () { return api('DELETE', '/providers/' + enc(p.id)).then(show); } });
                        } });
                    } }
                ],
                emptyTitle: 'No provider records', emptyHint: 'Sites without one use the built-in sandbox. Add Stripe or GoCardless credentials to take real payments.' });
        }
        var create = P.can('providers:write') ? button('Add provider', function () {
            var type = P.select('type', [['stripe', 'Stripe'], ['gocardless', 'GoCardless'], ['sandbox', 'Sandbox']], 'stripe');
            var name = h('input', { type: 'text' });
            var secret = h('input', { type: 'password', autocomplete: 'off' });
            var publishable = h('input', { type: 'text', autocomplete: 'off' });
            var webhook = h('input', { type: 'password', autocomplete: 'off' });
            P.dialog({ title: 'Add a payment provider', confirm: 'Add provider',
                body: [P.field('Type', type), P.field('Name', name), P.field('Secret key or access token', secret, 'Stored sealed; never shown again.'),
                    P.field('Publishable key (Stripe)', publishable), P.field('Webhook signing secret', webhook, 'Optional; can be set later.')],
                submit: function () {
                    if (!name.value.trim()) {
                        return P.invalid('Give the provider a name.', name);
                    }
                    var credentials = {};
                    if (type.value === 'stripe') {
                        credentials.secretKey = secret.value;
                        if (publishable.value.trim()) {
                            credentials.publishableKey = publishable.value.trim();
                        }
                    } else if (type.value === 'gocardless') {
                        credentials.accessToken = secret.value;
                    }
                    var body = { type: type.value, name: name.value.trim(), credentials: credentials };
                    if (webhook.value) {
                        body.webhookSecret = webhook.value;
                    }
                    return api('POST', '/providers', body, { idempotencyKey: P.newIdempotencyKey() }).then(show);
                } });
        }, 'primary') : null;
        P.append(main, [P.heading('Providers', 'Payment provider accounts your sites charge through.', [create]), h('section', { class: 'panel', 'aria-label': 'Providers' }, box)]);
        show();
    } });

    // ---- tax rules and organization -----------------------------------------------------------

    function percent(bps) {
        return (bps / 100).toLocaleString(undefined, { maximumFractionDigits: 2 }) + ' %';
    }

    P.route('/tax-rules', { nav: '/tax-rules', permission: 'sites:read', render: function (main) {
        var box = h('div');
        function show() {
            sites().then(function (list) {
                pagedList(box, { path: '/tax-rules', what: 'tax rules', limit: 100,
                    columns: [
                        { label: 'Country', cell: function (r) { return r.country + (r.region ? ' · ' + r.region : ''); } },
                        { label: 'Rate', class: 'num', cell: function (r) { return percent(r.rateBps); } },
                        { label: 'Name', cell: function (r) { return r.name; } },
                        { label: 'Site', class: 'wide-only', cell: function (r) { return r.siteId ? siteName(list, r.siteId) : 'All sites'; } },
                        { label: 'Valid from', class: 'nowrap', cell: function (r) { return r.validFrom; } },
                        { label: 'Actions', class: 'actions-cell', hideEmpty: true, cell: function (r) {
                            return P.can('sites:write') ? h('button', { type: 'button', class: 'small', text: 'Delete', onclick: function () {
                                P.dialog({ title: 'Delete the ' + r.country + ' rule?', danger: true, confirm: 'Delete rule',
                                    body: [h('p', { text: 'New checkouts for ' + r.country + ' are no longer taxed at ' + percent(r.rateBps) + '.' })],
                                    submit: function () { return api('DELETE', '/tax-rules/' + enc(r.id)).then(show); } });
                            } }) : null;
                        } }
                    ],
                    emptyTitle: 'No tax rules', emptyHint: 'Without rules, checkouts carry no tax. Load the EU VAT rates or add your own.' });
            });
        }
        var actions = P.can('sites:write') ? [
            button('Load EU VAT rates', function () {
                P.dialog({ title: 'Load the EU standard VAT rates?', confirm: 'Load rates',
                    body: [h('p', { text: 'Adds a rule for each EU member state’s standard rate. Existing rules stay.' })],
                    submit: function () { return api('POST', '/tax-rules/seed-eu', {}).then(show); } });
            }),
            button('Add rule', function () {
                var country = h('input', { type: 'text', maxlength: '2', placeholder: 'DE' });
                var rate = h('input', { type: 'text', inputmode: 'decimal', placeholder: '19' });
                var name = h('input', { type: 'text', placeholder: 'VAT' });
                P.dialog({ title: 'Add a tax rule', confirm: 'Add rule',
                    body: [P.field('Country (2 letters)', country), P.field('Rate in %', rate, 'Up to two decimals, for example 7.7.'), P.field('Name', name)],
                    submit: function () {
                        var bps = P.parseAmount(rate.value, 'EUR');
                        if (!/^[A-Za-z]{2}$/.test(country.value.trim())) {
                            return P.invalid('Enter a two-letter country code, for example DE.', country);
                        }
                        if (bps === null) {
                            return P.invalid('Enter the rate in percent, for example 19 or 7.7.', rate);
                        }
                        return api('POST', '/tax-rules', { country: country.value.trim().toUpperCase(), rateBps: bps,
                            name: name.value.trim() || 'VAT' }).then(show);
                    } });
            }, 'primary')] : null;
        P.append(main, [P.heading('Tax rules', 'The rates checkouts apply by the buyer’s country.', actions), h('section', { class: 'panel', 'aria-label': 'Tax rules' }, box)]);
        show();
    } });

    var ORG_FIELDS = [
        ['name', 'Display name'], ['legalName', 'Legal name'], ['vatId', 'VAT ID'], ['sellerCountry', 'Seller country (2 letters)'],
        ['email', 'Email on invoices'], ['phone', 'Phone'], ['website', 'Website'], ['registrationNumber', 'Registration number'],
        ['registerCourt', 'Register court'], ['invoicePrefix', 'Invoice number prefix'], ['creditNotePrefix', 'Credit note number prefix']
    ];
    var ORG_GROUPS = [
        ['Company', ['name', 'legalName', 'vatId', 'sellerCountry', 'registrationNumber', 'registerCourt']],
        ['Contact', ['email', 'phone', 'website']],
        ['Document numbers', ['invoicePrefix', 'creditNotePrefix']]
    ];
    var ADDRESS_FIELDS = [['line1', 'Address'], ['line2', 'Address line 2'], ['postalCode', 'Postal code'], ['city', 'City'], ['region', 'Region'], ['country', 'Country (2 letters)']];

    P.route('/organization', { nav: '/organization', permission: 'sites:read', render: function (main) {
        P.append(main, [P.heading('Organization', 'Your company as it appears on invoices and credit notes.')]);
        var box = h('div');
        main.appendChild(box);
        P.load(box, 'your organization', function () { return api('GET', '/organization'); }, function (org) {
            var editable = P.can('sites:write');
            var inputs = {};
            var address = {};
            var notice = h('div', { class: 'alert', role: 'alert' });
            var groups = ORG_GROUPS.map(function (group) {
                return h('fieldset', { class: 'group' }, h('legend', { text: group[0] }), h('div', { class: 'filters' }, group[1].map(function (name) {
                    var label = ORG_FIELDS.filter(function (f) { return f[0] === name; })[0][1];
                    inputs[name] = h('input', { type: 'text', value: org[name] || '', readOnly: !editable });
                    return P.field(label, inputs[name]);
                })));
            });
            groups.splice(1, 0, h('fieldset', { class: 'group' }, h('legend', { text: 'Address' }), h('div', { class: 'filters' },
                ADDRESS_FIELDS.map(function (f) {
                    address[f[0]] = h('input', { type: 'text', value: (org.address && org.address[f[0]]) || '', readOnly: !editable });
                    return P.field(f[1], address[f[0]]);
                }))));
            var form = h('form', { class: 'stack', novalidate: true }, notice, groups,
                editable ? h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', text: 'Save seller details' })) :
                    h('p', { class: 'muted', text: 'Your role can read these details but not change them.' }));
            form.addEventListener('submit', function (event) {
                event.preventDefault();
                var body = {};
                ORG_FIELDS.forEach(function (f) {
                    var value = inputs[f[0]].value.trim();
                    if (value !== (org[f[0]] || '')) {
                        body[f[0]] = value;
                    }
                });
                var addr = {};
                var changed = false;
                ADDRESS_FIELDS.forEach(function (f) {
                    addr[f[0]] = address[f[0]].value.trim();
                    changed = changed || addr[f[0]] !== ((org.address && org.address[f[0]]) || '');
                });
                if (changed) {
                    body.address = addr;
                }
                if (Object.keys(body).length === 0) {
                    notice.className = 'alert info';
                    notice.textContent = 'Nothing changed.';
                    return;
                }
                busyForm(form, true);
                api('PATCH', '/organization', body).then(function (saved) {
                    org = saved;
                    busyForm(form, false);
                    notice.className = 'alert success';
                    notice.textContent = 'Saved. New invoices use these details.';
                }, function (error) {
                    busyForm(form, false);
                    notice.className = 'alert';
                    notice.textContent = P.explain(error);
                });
            });
            var me = P.session.me() || {};
            var security = null;
            if (me.user && me.user.role === 'owner') {
                var require = h('input', { type: 'checkbox', checked: Boolean(me.organization && me.organization.requireTwoFactor) });
                require.addEventListener('change', function () {
                    require.disabled = true;
                    api('PATCH', '/organization', { requireTwoFactor: require.checked }).then(function () {
                        require.disabled = false;
                        if (me.organization) {
                            me.organization.requireTwoFactor = require.checked;
                        }
                        P.toast(require.checked ? 'Everyone must now use two-factor authentication.' : 'Two-factor authentication is optional again.');
                    }, function (error) {
                        require.disabled = false;
                        require.checked = !require.checked;
                        P.toast(P.explain(error));
                    });
                });
                security = section('Security', h('label', { class: 'check' }, require, 'Require two-factor authentication for everyone in the team'));
            }
            P.append(box, [section('Seller details', form), security]);
        });
    } });

    // ---- team and audit log -------------------------------------------------------------------

    var ROLES = [['owner', 'Owner'], ['admin', 'Admin'], ['developer', 'Developer'], ['support', 'Support'], ['viewer', 'Viewer']];
    var ROLE_HINT = 'Admin: everything but ownership. Developer: keys, sites, providers. Support: reads, refunds, captures, IPN resends. Viewer: reads only.';

    P.route('/team', { nav: '/team', permission: 'users:read', render: function (main) {
        var box = h('div');
        var me = P.session.me() || {};
        var myId = me.user && me.user.id;
        function show() {
            pagedList(box, { path: '/users', what: 'your team', limit: 100,
                columns: [
                    { label: 'Email', cell: function (u) { return [h('strong', { text: u.email }), u.id === myId ? ' (you)' : '']; } },
                    { label: 'Name', cell: function (u) { return u.name; } },
                    { label: 'Role', cell: function (u) { return humanize(u.role); } },
                    { label: '2FA', cell: function (u) { return u.totpEnabled ? P.badge('active', 'on') : P.badge('', 'off'); } },
                    { label: 'Status', cell: function (u) { return P.badge(u.status); } },
                    { label: 'Last login', class: 'nowrap wide-only', cell: function (u) { return u.lastLoginAt ? P.time(u.lastLoginAt) : null; } },
                    { label: 'Actions', class: 'actions-cell', hideEmpty: true, cell: function (u) {
                        if (!P.can('users:write') || u.id === myId) {
                            return null;
                        }
                        return [h('button', { type: 'button', class: 'small', text: 'Change role', 'aria-label': 'Change role of ' + u.email, onclick: function () {
                            var role = P.select('role', ROLES, u.role);
                            P.dialog({ title: 'Change the role of ' + u.email, confirm: 'Save role', body: [P.field('Role', role, ROLE_HINT)],
                                submit: function () { return api('PATCH', '/users/' + enc(u.id), { role: role.value }).then(show); } });
                        } }), ' ', h('button', { type: 'button', class: 'small', text: 'Remove', 'aria-label': 'Remove ' + u.email, onclick: function () {
                            P.dialog({ title: 'Remove ' + u.email + '?', danger: true, confirm: 'Remove from team', cancel: 'Keep',
                                body: [h('p', { text: 'They are logged out everywhere and can no longer log in to this organization.' })],
                                submit: function () { return api('DELETE', '/users/' + enc(u.id)).then(show); } });
                        } })];
                    } }
                ],
                emptyTitle: 'No one here yet', emptyHint: 'Invite your team.' });
        }
        var invite = P.can('users:write') ? button('Invite someone', function () {
            var email = h('input', { type: 'email', autocomplete: 'off' });
            var name = h('input', { type: 'text', autocomplete: 'off' });
            var role = P.select('role', ROLES.filter(function (r) { return r[0] !== 'owner' || (me.user && me.user.role === 'owner'); }), 'support');
            P.dialog({ title: 'Invite someone', confirm: 'Create invitation',
                body: [P.field('Email', email), P.field('Name (optional)', name), P.field('Role', role, ROLE_HINT)],
                submit: function () {
                    if (!email.value.trim()) {
                        return P.invalid('Enter their email address.', email);
                    }
                    var body = { email: email.value.trim(), role: role.value };
                    if (name.value.trim()) {
                        body.name = name.value.trim();
                    }
                    return api('POST', '/users', body).then(function (user) {
                        show();
                        return { keepOpen: true, body: [h('p', { text: 'Send this link to ' + user.email + '. They choose a password there.' }),
                            P.secretBox('Invitation link', user.inviteUrl || '', 'Shown only now. Send it over a channel you trust; anyone with the link can join as ' + humanize(user.role) + '.')] };
                    });
                } });
        }, 'primary') : null;
        P.append(main, [P.heading('Team', 'People who can log in to this organization.', [invite]), h('section', { class: 'panel', 'aria-label': 'Team' }, box)]);
        show();
    } });

    P.route('/audit-log', { nav: '/audit-log', permission: 'audit:read', render: function (main) {
        var box = h('div');
        P.append(main, [P.heading('Audit log', 'Every change made in this organization, by whom, from where.'), h('section', { class: 'panel', 'aria-label': 'Audit log' }, box)]);
        pagedList(box, { path: '/audit-log', what: 'the audit log', limit: 50,
            columns: [
                { label: 'When', class: 'nowrap', cell: function (e) { return P.time(e.createdAt); } },
                { label: 'Who', cell: function (e) {
                    var a = e.actor || {};
                    return a.type === 'api_key' ? [h('span', { class: 'muted', text: 'API key ' }), idCode(a.id)] : (a.email || idCode(a.id));
                } },
                { label: 'Action', cell: function (e) { return code(e.action); } },
                { label: 'Object', cell: function (e) { return idCode(e.objectId); } },
                { label: 'IP', class: 'wide-only', cell: function (e) { return e.ip; } },
                { label: 'Mode', class: 'wide-only', cell: function (e) { return e.livemode ? 'live' : 'test'; } }
            ],
            emptyTitle: 'Nothing recorded yet', emptyHint: 'Changes made with the panel or an API key appear here.' });
    } });

    // ---- own account --------------------------------------------------------------------------

    function codeInput(label, hint) {
        var input = h('input', { type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', spellcheck: 'false' });
        return { input: input, field: P.field(label, input, hint || 'The 6-digit code your authenticator app shows now, or a recovery code.') };
    }

    function recoveryCodesBody(codes, lead) {
        return [h('p', { text: lead }),
            h('ul', { class: 'recovery-codes', 'aria-label': 'Recovery codes' }, codes.map(function (c) { return h('li', null, code(c)); })),
            h('div', { class: 'actions' }, P.copyButton(function () { return codes.join('\n'); }, 'Copy all codes')),
            h('p', { class: 'hint', text: 'They are shown only now. Each code works once if you lose your authenticator.' })];
    }

    P.route('/account', { nav: '/account', render: function (main) {
        P.append(main, [P.heading('Your account')]);
        var box = h('div');
        main.appendChild(box);
        function show() {
            P.load(box, 'your account', P.session.reloadMe, function (me) {
                var user = me.user || {};
                var pwError = h('div', { class: 'alert', role: 'alert' });
                var current = h('input', { type: 'password', autocomplete: 'current-password' });
                var next = h('input', { type: 'password', autocomplete: 'new-password' });
                var again = h('input', { type: 'password', autocomplete: 'new-password' });
                var pwForm = h('form', { class: 'stack', novalidate: true }, pwError, P.field('Current password', current),
                    P.field('New password', next, 'At least 10 characters.'), P.field('New password again', again),
                    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', text: 'Change password' })));
                pwForm.addEventListener('submit', function (event) {
                    event.preventDefault();
                    pwError.className = 'alert';
                    if (next.value.length < 10) {
                        pwError.textContent = 'The new password needs at least 10 characters.';
                        next.focus();
                        return;
                    }
                    if (next.value !== again.value) {
                        pwError.textContent = 'The new passwords are not the same.';
                        again.focus();
                        return;
                    }
                    busyForm(pwForm, true);
                    api('POST', '/auth/password', { currentPassword: current.value, newPassword: next.value }).then(function () {
                        busyForm(pwForm, false);
                        current.value = next.value = again.value = '';
                        pwError.className = 'alert success';
                        pwError.textContent = 'Your password is changed.';
                    }, function (error) {
                        busyForm(pwForm, false);
                        pwError.textContent = error.status === 401 ? 'The current password is not right.' : P.explain(error);
                        current.focus();
                    });
                });
                var twoFactor;
                if (user.totpEnabled) {
                    twoFactor = [h('p', null, P.badge('active', 'On'), ' Logging in asks for a code from your authenticator app.'),
                        h('div', { class: 'actions' },
                            button('New recovery codes', function () {
                                var c = codeInput('Current code');
                                P.dialog({ title: 'Make new recovery codes?', confirm: 'Make new codes',
                                    body: [h('p', { text: 'Your old recovery codes stop working.' }), c.field],
                                    submit: function () {
                                        return api('POST', '/auth/recovery-codes', { code: c.input.value.trim() }).then(function (answer) {
                                            return { keepOpen: true, body: recoveryCodesBody(answer.recoveryCodes || [], 'Your new recovery codes:') };
                                        });
                                    } });
                            }),
                            button('Turn off two-factor', function () {
                                var c = codeInput('Current code');
                                P.dialog({ title: 'Turn off two-factor authentication?', danger: true, confirm: 'Turn off',
                                    body: [h('p', { text: 'Logging in then needs only your password.' }), c.field],
                                    submit: function () {
                                        return api('POST', '/auth/totp/disable', { code: c.input.value.trim() }).then(function () {
                                            P.toast('Two-factor authentication is off.');
                                            show();
                                        });
                                    } });
                            }, 'danger'))];
                } else {
                    twoFactor = [h('p', null, P.badge('', 'Off'), ' Protect your account with a code from an authenticator app.'),
                        me.organization && me.organization.requireTwoFactor ? h('div', { class: 'alert warn' }, h('p', { text: 'Your organization requires two-factor authentication: turn it on now.' })) : null,
                        h('div', { class: 'actions' }, button('Turn on two-factor', function () { enableTotp(show); }, 'primary'))];
                }
                P.append(box, [
                    section('Profile', P.facts([['Email', user.email], ['Name', user.name], ['Role', humanize(user.role)],
                        ['Organization', me.organization && me.organization.name], ['Last login', user.lastLoginAt ? P.time(user.lastLoginAt) : null]])),
                    h('div', { class: 'grid-2' }, section('Password', pwForm), section('Two-factor authentication', twoFactor))
                ]);
            });
        }
        show();
    } });

    function enableTotp(done) {
        P.api('POST', '/auth/totp/setup', {}).then(function (setup) {
            var c = codeInput('Code from the app', 'The 6-digit code the app shows for Paygate.');
            var svg = setup.qrCodeSvg || '';
            var qr = svg ? h('img', { class: 'qr', alt: 'QR code for your authenticator app', src: 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(svg) }) : null;
            P.dialog({
                title: 'Turn on two-factor authentication', confirm: 'Turn on',
                body: [h('p', { text: '1. Scan this code with your authenticator app, or type the key below into it.' }), qr,
                    P.secretBox('Setup key', setup.secret || '', 'Type this into the app if you cannot scan the code.'),
                    h('p', { text: '2. Enter the code the app shows.' }), c.field],
                submit: function () {
                    var value = c.input.value.replace(/\s/g, '');
                    if (!/^\d{6}$/.test(value)) {
                        return P.invalid('Enter the 6-digit code from the app.', c.input);
                    }
                    return api('POST', '/auth/totp/enable', { code: value }).then(function (answer) {
                        return { keepOpen: true, body: recoveryCodesBody(answer.recoveryCodes || [],
                            'Two-factor authentication is on. Save these recovery codes:') };
                    });
                },
                onClose: done
            });
        }, function (error) {
            P.toast('Two-factor setup could not start. ' + P.explain(error));
        });
    }

    // ---- fallbacks ----------------------------------------------------------------------------

    P.pages.notFound = { render: function (main) {
        P.append(main, [P.heading('Page not found'), h('div', { class: 'panel' }, h('p', { text: 'There is no page at ' + window.location.pathname + '.' }),
            P.link('/', 'Go to the home page'))]);
    } };
    P.pages.forbidden = { render: function (main) {
        P.append(main, [P.heading('Not available to your role'), h('div', { class: 'panel' }, h('p', { text: 'Your role does not include this page. ' +
            'Ask an owner or admin of your organization if you need it.' }), P.link('/', 'Go to the home page'))]);
    } };
})();
