"""The ssl-attention application: the HTTP service (`app.backend`) and the web app (`app/frontend`)."""
