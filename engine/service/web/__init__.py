"""The reviewer's workbench in the browser and the offline API documentation (edge).

Server-rendered Jinja pages at ``/`` that call the same functions as the API's routes, made
interactive by htmx (vendored in ``static/``, with its licence); nothing is loaded from outside the
service. :func:`engine.service.web.site.install_web` mounts it all on the application.
"""
