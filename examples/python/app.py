"""The example application's decisions, whatever carries Herald's requests: who connects,
who may subscribe to what, custom actions and Piped methods. Every request and answer is
described in docs/backend.md. Used by http_backend.py (HTTP) and pika_worker.py (RabbitMQ).
"""
import sys

# The application's users, by the token its login page would hand out.
USERS = {"token-alice": "alice", "token-bob": "bob"}
BALANCES = {"alice": 120.5, "bob": 7.0}
ARTICLES = {1: "Herald ships", 2: "Piped, unchanged"}


def connect(request):
    """Credentials before the upgrade (an endpoint with verify = "backend")."""
    user = USERS.get(request["token"])
    if user is None:
        return {"allow": False, "reason": "unknown token"}
    return {"allow": True, "identity": user, "grants": [f"orders:{user}"]}


def authenticate(request):
    """Myxi's Authenticate with [backend] authenticate = true."""
    return connect(request)


def may_hold(identity, exchange, routing_key):
    # Each user may follow their own account only.
    return exchange == "accounts" and identity is not None and identity["subject"] == routing_key


def subscribe(request):
    """A Subscribe to an exchange with access = "backend"."""
    if may_hold(request["identity"], request["exchange"], request["routing_key"]):
        return {"allow": True}
    return {"allow": False, "reason": "that account is not yours"}


def touch(request):
    """The periodic re-check: revoke what a user may no longer hold."""
    revoke = [
        {"session": s["session"], "exchange": s["exchange"], "routing_key": s["routing_key"]}
        for s in request["subscriptions"]
        if not may_hold(s["identity"], s["exchange"], s["routing_key"])
    ]
    return {"revoke": revoke}


def action(request):
    """Custom Myxi actions named in [backend] actions."""
    identity = request["identity"]
    if request["action"] == "GetBalance":
        if identity is None:
            return {"error": "authenticate first"}
        user = identity["subject"]
        return {
            "event": "Balance",
            "payload": {"user": user, "balance": BALANCES.get(user, 0)},
            # Follow the account from now on, without a Subscribe.
            "commands": [{"command": "subscribe", "exchange": "accounts", "routing_key": user}],
        }
    return {"error": f"no action {request['action']}"}


def method(request):
    """Piped methods: the answer's payload becomes the result's."""
    payload = request.get("payload") or {}
    if request["method"] == "get-article":
        title = ARTICLES.get(payload.get("articleId"))
        if title is None:
            return {"error": "no such article"}
        return {"payload": {"articleId": payload["articleId"], "title": title}}
    if request["method"] == "sum":
        return {"payload": {"sum": sum(payload.get("numbers", []))}}
    return {"error": f"no method {request['method']}"}


def lifecycle(request):
    print(f"{request['event']}: session {request['session']}", file=sys.stderr, flush=True)
    return {}


HANDLERS = {"connect": connect, "authenticate": authenticate, "subscribe": subscribe,
            "touch": touch, "action": action, "method": method, "lifecycle": lifecycle}


def handle(request):
    """The answer to one request of any kind."""
    handler = HANDLERS.get(request["kind"])
    return handler(request) if handler else {"error": f"unknown kind {request['kind']}"}
