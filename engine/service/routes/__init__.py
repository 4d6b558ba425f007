"""The API's routes, one ``APIRouter`` per resource; :data:`ROUTERS` is the order they are mounted in."""

from __future__ import annotations

from engine.service.routes import decisions, health, policies, reviews, scoring, views

__all__ = ["ROUTERS"]

ROUTERS = (health.router, policies.router, scoring.router, views.router, decisions.router, reviews.router)
