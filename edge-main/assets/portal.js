// Paygate customer portal. Served from this origin (CSP `script-src 'self'`). The page is
// rendered by the server; this script only sends the customer's actions to the portal API
// (with the page's session cookie) and shows the server's answer by reloading.
(function () {
    'use strict';

    // A page restored from the back/forward cache asks the server again: after logging out,
    // Back shows the "session ended" page, never the account as it was.
    window.addEventListener('pageshow', function (event) {
        if (event.persisted) {
            window.location.reload();
        }
    });

    var root = document.getElementById('portal');
    if (!root) {
        return;
    }
    var progress = document.getElementById('progress');
    var errorBox = document.getElementById('error');
    var busy = false;

    // Dates and times in the customer's own format; the server wrote them in UTC.
    Array.prototype.forEach.call(document.querySelectorAll('time[datetime]'), function (element) {
        var when = new Date(element.getAttribute('datetime'));
        if (isNaN(when.getTime())) {
            return;
        }
        element.textContent = element.hasAttribute('data-time')
            ? when.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
            : when.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
    });

    function say(text) {
        progress.textContent = text;
    }

    function showError(text) {
        say('');
        errorBox.textContent = text;
        errorBox.focus();
    }

    function sessionOver() {
        // The server shows why (ended or expired) and nothing private.
        window.location.assign('/portal');
    }

    function post(path, body) {
        var options = { method: 'POST', credentials: 'same-origin', headers: {} };
        if (body !== undefined) {
            options.headers['Content-Type'] = 'application/json';
            options.body = JSON.stringify(body);
        }
        return fetch(path, options).then(function (response) {
            return response.text().then(function (text) {
                var json = null;
                try {
                    json = text ? JSON.parse(text) : null;
                } catch (ignored) {
                    json = null;
                }
                return { status: response.status, body: json };
            });
        });
    }

    function setBusy(button, value) {
        busy = value;
        Array.prototype.forEach.call(root.querySelectorAll('button'), function (b) {
            b.disabled = value;
        });
        var logout = document.getElementById('logout');
        if (logout) {
            logout.disabled = value;
        }
        if (button) {
            button.setAttribute('aria-busy', value ? 'true' : 'false');
        }
    }

    // Runs one action; on success the page reloads to show the server's state.
    function act(button, path, body, doing, done) {
        if (busy) {
            return;
        }
        errorBox.textContent = '';
        setBusy(button, true);
        say(doing);
        post(path, body).then(function (answer) {
            if (answer.status === 401) {
                sessionOver();
                return;
            }
            if (answer.status >= 200 && answer.status < 300) {
                say(done);
                window.location.reload();
                return;
            }
            setBusy(button, false);
            var message = answer.body && answer.body.error && answer.body.error.message;
            showError(message ? 'That did not work: ' + message + '.' : 'That did not work. Please try again.');
        }, function () {
            setBusy(button, false);
            showError('The portal could not be reached. Please check your connection and try again.');
        });
    }

    var logout = document.getElementById('logout');
    if (logout) {
        logout.addEventListener('click', function () {
            if (busy) {
                return;
            }
            setBusy(logout, true);
            say('Logging out…');
            post('/api/v1/portal/logout').then(sessionOver, function () {
                setBusy(logout, false);
                showError('The portal could not be reached, so you are still logged in. Please try again.');
            });
        });
    }

    // Subscriptions: cancel at the end of the period (with a reason), or resume.
    Array.prototype.forEach.call(root.querySelectorAll('[data-subscription]'), function (item) {
        var id = item.getAttribute('data-subscription');
        var toggle = item.querySelector('[data-action="show-cancel"]');
        var form = item.querySelector('form.cancel-form');
        var keep = item.querySelector('[data-action="keep"]');
        var resume = item.querySelector('[data-action="resume"]');
        if (toggle && form) {
            toggle.addEventListener('click', function () {
                form.hidden = false;
                toggle.setAttribute('aria-expanded', 'true');
                toggle.hidden = true;
                var select = form.querySelector('select');
                if (select) {
                    select.focus();
                }
            });
        }
        if (keep && form && toggle) {
            keep.addEventListener('click', function () {
                form.hidden = true;
                toggle.hidden = false;
                toggle.setAttribute('aria-expanded', 'false');
                toggle.focus();
            });
        }
        if (form) {
            form.addEventListener('submit', function (event) {
                event.preventDefault();
                var reason = form.querySelector('select').value;
                if (!reason) {
                    showError('Please choose a reason for canceling.');
                    form.querySelector('select').focus();
                    return;
                }
                var comment = form.querySelector('textarea').value.trim();
                var body = { reason: reason };
                if (comment) {
                    body.comment = comment;
                }
                act(form.querySelector('button[type="submit"]'),
                    '/api/v1/portal/subscriptions/' + encodeURIComponent(id) + '/cancel', body,
                    'Canceling at the end of the period…', 'Canceled at the end of the period.');
            });
        }
        if (resume) {
            resume.addEventListener('click', function () {
                act(resume, '/api/v1/portal/subscriptions/' + encodeURIComponent(id) + '/resume', undefined,
                    'Resuming…', 'Your subscription continues.');
            });
        }
    });
})();
