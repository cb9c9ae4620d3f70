"""Paged AWS reads through botocore's paginators, with kmon's gate before every request.

``client.get_paginator(op)`` binds the client's own method, so a gate can only be called
before each ``next()``, and the ``next()`` that finds no more pages would take a rate token
(or be refused) for a request never sent. Instead the same ``Paginator`` class is built here
around a method that calls the gate and then the client: one gate per request, no more.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache

import botocore.session
from botocore.paginate import Paginator

Gate = Callable[[str], None]  # called before each request with the API name

# Arguments AWS rejects alongside NextToken (the token names the stream), which botocore's
# paginator keeps sending on every page (boto/botocore#2009).
NOT_WITH_TOKEN: dict[str, frozenset[str]] = {
    "ListShards": frozenset({"StreamName", "StreamARN", "StreamCreationTimestamp"}),
}


@cache
def _config(service: str, version: str, api: str) -> dict:
    """The paginator definition ``client.get_paginator`` uses (loaded once per operation)."""
    model = botocore.session.get_session().get_paginator_model(service, version)
    return model.get_paginator(api)


def pages(client, op: str, gate: Gate, **params) -> Iterator[dict]:
    """Every page of ``op`` (a client method name, e.g. "list_shards") for ``params``, each
    request gated with its API name; lazy: each page is requested when it is asked for."""
    if not client.can_paginate(op):
        raise ValueError(f"{op} has no paginator")
    api = client.meta.method_to_api_mapping[op]
    call = getattr(client, op)
    drop = NOT_WITH_TOKEN.get(api, frozenset())

    def request(**kwargs) -> dict:
        if "NextToken" in kwargs:
            kwargs = {k: v for k, v in kwargs.items() if k not in drop}
        gate(api)
        return call(**kwargs)

    service = client.meta.service_model
    paginator = Paginator(
        request,
        _config(service.service_name, service.api_version, api),
        service.operation_model(api),
    )
    return iter(paginator.paginate(**params))
