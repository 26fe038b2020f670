"""Receiving CloudEvents over HTTP: services in any language reach Arvo executions on Temporal.

``arvo-temporal ingress --app module:app`` runs it; in a program::

    client = await ArvoTemporalClient.connect("localhost:7233", task_queue=app.task_queue)
    async with IngressServer(app, client, host="127.0.0.1", port=8080) as server:
        ...   # POST CloudEvents (binary, structured or batch mode) to server.url

An init event for one of the app's orchestrators starts an execution, any other event reaches
its execution; the answer is 202 once Temporal holds the event durably, or, with
``Prefer: wait=<seconds>``, 200 with the events it produced (a CloudEvents batch). Refusals are
RFC 9457 problem documents naming the field. README.md, "Receiving events over HTTP", has the
whole contract; the server is uvicorn with Starlette (arvo_temporal/ingress/_server.py says why).
"""

from arvo_temporal.ingress._app import EventGateway, ReadinessProbe, create_ingress_app
from arvo_temporal.ingress._batch import BATCH_CONTENT_TYPE
from arvo_temporal.ingress._decode import STRUCTURED_CONTENT_TYPE
from arvo_temporal.ingress._problems import PROBLEM_CONTENT_TYPE, PROBLEM_TYPE_PREFIX
from arvo_temporal.ingress._server import IngressServer
from arvo_temporal.ingress._settings import IngressSettings

__all__ = [
    "BATCH_CONTENT_TYPE",
    "PROBLEM_CONTENT_TYPE",
    "PROBLEM_TYPE_PREFIX",
    "STRUCTURED_CONTENT_TYPE",
    "EventGateway",
    "IngressServer",
    "IngressSettings",
    "ReadinessProbe",
    "create_ingress_app",
]
