"""Views over results: explain, recover, what-if, scenario and diff."""
