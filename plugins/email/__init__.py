"""The built-in email notifier: sends hand-offs to the owner's address through SMTP."""
