"""Sign-in lockout: django-axes, with a limit per user name and another per address.

django-axes records each failed sign-in (`AccessAttempt`: user name, address, browser,
failure count, last time) from Django's `user_login_failed` signal, and its
authentication backend (`backends.LockoutBackend`, first in AUTHENTICATION_BACKENDS)
refuses a locked-out client before any password is checked. What this package adds:

- `handler.LockoutHandler`: the limits. A user name is locked after LOGIN_FAILURE_LIMIT
  failures within LOGIN_LOCKOUT_MINUTES, from any address; an address after
  LOGIN_FAILURE_LIMIT_PER_ADDRESS failures, with any user names (one office behind one
  address must not lock itself out with a few typos). The lock ends when enough of the
  counted failures are older than LOGIN_LOCKOUT_MINUTES (`Lockout.until`); failures
  while locked are not counted. A user name that does not exist is counted like any
  other, so a lockout says nothing about which user names exist.
- the client's address: `keyaccounts.clientip.client_ip` (REMOTE_ADDR unless
  TRUSTED_PROXY_COUNT proxies are trusted).
- `responses.lockout_response`: the login page again, 429 with Retry-After, saying in
  the user's language when to try again; the API's token endpoint answers the same in
  its JSON error shape (`locked_out`).
- `views`: `/lockouts/`, where a team's manager lifts the lockout of a user name of
  their team and an admin lifts any (addresses too); the admin's "Access attempts"
  (django-axes) lists the raw records.
"""
