"""The web console both networks mount under `/console/`: server-rendered pages (Jinja2,
htmx for partial updates, Pico CSS), all assets served from the package (both networks are
offline). `site.py` holds the page registry and rendering, `session.py` the cookie login and
CSRF, `forms.py` the JSON-Schema-to-form generator, `errors.py` the HTML error pages, `charts.py`
server-drawn SVG bar charts, `paging.py` paged lists; `transfer.py`, `audit.py`, `alerts.py`,
`tasks.py` the admin pages both networks mount over their own tables (`operations.py`).
"""
