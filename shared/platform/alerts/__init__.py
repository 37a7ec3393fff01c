"""Health monitoring: rules over the transfer's state, alert records, webhook delivery.

Each network declares its `alert` table from `AlertMixin` and registers the
`evaluate_alerts` job (`register_alert_jobs`) and the `GET /admin/alerts` route
(`install_alerts`); the rules, thresholds and delivery are the same on both sides.
"""
