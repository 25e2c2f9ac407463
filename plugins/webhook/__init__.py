"""The built-in notifier: posts Slack-compatible messages to a webhook (see ``notifications``)."""
