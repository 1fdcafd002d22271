// The reset-password page: takes the token out of the address bar at once
// (so that it is neither kept in the history nor shown), then sends the new
// password with `resetPassword` to this origin's /graphql, in the page's
// language, and shows the outcome or the errors next to their fields.

const MUTATION = `mutation ResetPassword($token: String!, $newPassword: String!) {
  resetPassword(token: $token, newPassword: $newPassword) { ok }
}`;

const page = document.getElementById('reset');
const form = document.getElementById('reset-form');
const status = document.getElementById('status');
const success = document.getElementById('success');
const submit = document.getElementById('submit');
const lang = document.documentElement.lang;

const token = new URLSearchParams(window.location.search).get('token') ?? '';
if (window.location.search || window.location.hash) {
  window.history.replaceState(null, '', window.location.pathname);
}

/** A message as a sentence: its first letter capitalised. */
function sentence(text) {
  return text ? text.charAt(0).toLocaleUpperCase(lang) + text.slice(1) : text;
}

function showStatus(text) {
  status.textContent = sentence(text);
  status.classList.toggle('error', Boolean(text));
}

function fieldError(name, text) {
  const input = document.getElementById(name);
  const error = document.getElementById(`${name}-error`);
  error.textContent = text ?? '';
  error.hidden = !text;
  if (text) {
    input.setAttribute('aria-invalid', 'true');
  } else {
    input.removeAttribute('aria-invalid');
  }
}

function clearErrors() {
  showStatus('');
  fieldError('password', null);
  fieldError('confirm', null);
}

/** Shows what the server refused: the password next to its field, a dead link above the form. */
function showErrors(errors) {
  let shown = false;
  for (const error of errors) {
    for (const entry of error?.extensions?.fields ?? []) {
      if (entry.field === 'newPassword') {
        fieldError('password', sentence(entry.message));
        document.getElementById('password').focus();
        shown = true;
      } else if (entry.field === 'token') {
        showStatus(entry.message);
        form.hidden = true;
        page.dataset.state = 'invalid';
        shown = true;
      }
    }
  }
  if (!shown) {
    showStatus(page.dataset.failed);
  }
}

async function send(newPassword) {
  const response = await fetch('/graphql', {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/graphql-response+json, application/json',
      'Accept-Language': lang,
    },
    body: JSON.stringify({ query: MUTATION, variables: { token, newPassword } }),
    credentials: 'omit',
    cache: 'no-store',
    referrerPolicy: 'no-referrer',
  });
  return response.json();
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  clearErrors();
  const password = document.getElementById('password').value;
  const confirm = document.getElementById('confirm').value;
  if (password !== confirm) {
    fieldError('confirm', sentence(page.dataset.mismatch));
    document.getElementById('confirm').focus();
    return;
  }
  submit.disabled = true;
  try {
    const body = await send(password);
    if (body?.data?.resetPassword?.ok === true) {
      form.hidden = true;
      success.hidden = false;
      page.dataset.state = 'done';
    } else {
      showErrors(body?.errors ?? []);
    }
  } catch {
    showStatus(page.dataset.failed);
  } finally {
    submit.disabled = false;
  }
});

page.dataset.ready = 'true';
