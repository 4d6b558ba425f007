"""FastAPI application: policies, checks, scoring with a decision log, stored decisions (edge).

:func:`create_app` builds the shared state (store, registry, scoring gate) and mounts the routers of
:mod:`engine.service.routes`, the error handlers of :mod:`engine.service.errors` and the middleware
of :mod:`engine.service.middleware`. Every handler calls the public engine API; errors are the CLI's
located problems as JSON (4xx). durable_rules is process-global and not thread-safe: the firing
module serialises engine calls with a lock, handlers run in FastAPI's thread pool, and the service
scales with processes (uvicorn ``--workers``), each with its own engine.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from engine.service.access import access_from_config
from engine.service.config import ServiceConfig
from engine.service.errors import install_handlers
from engine.service.middleware import BodyLimit, LastLine, ResponseLimit
from engine.service.registry import Registry, confined_reader, stored_label
from engine.service.requests import single_query
from engine.service.routes import ROUTERS
from engine.service.state import ServiceState
from engine.service.store import Store
from engine.service.web.site import install_web

__all__ = ["ServiceConfig", "create_app"]


def create_app(config: ServiceConfig) -> FastAPI:
    """Build the application: open the store, load bundled and stored policies, wire the routes.

    A policy document that cannot be loaded is logged and listed by ``/status``; it never stops
    the service from starting.

    Raises:
        ConfigError: the token configuration cannot be used (:mod:`engine.service.access`).
    """
    access = access_from_config(config)  # first: a token configuration error stops before anything opens
    store = Store(config.db_url)
    registry = Registry()
    registry.load_directory(config.policies_dir)
    parents = confined_reader(config.policies_dir)
    for policy_id, version, text in store.policy_texts():
        registry.load_text(text, stored_label(policy_id, version), "stored", parents)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        store.close()  # return the pooled connections now, not whenever the collector finds them

    app = FastAPI(title="jixiao 绩效评分服务", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None,
                  dependencies=[Depends(single_query)],  # every query parameter once (engine.service.requests)
                  description="按声明式指标体系为部门整体支出绩效自评打分，解释每一分扣分，并记录每次评分决定。")
    app.state.service = ServiceState(config, access, store, registry)
    # the last added is the outermost: LastLine › BodyLimit › ResponseLimit › FastAPI's handlers › routes
    app.add_middleware(ResponseLimit, limit=config.max_response_bytes)
    app.add_middleware(BodyLimit, limit=config.max_body_bytes)
    app.add_middleware(LastLine)
    install_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    install_web(app)  # the workbench at / and /docs, /redoc with assets served by the package
    return app
