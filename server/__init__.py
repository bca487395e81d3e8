"""The web layer: HTTP API, OpenAI-compatible endpoint, embeddable widget, limits and feedback.

``app.py`` builds the one server from these parts and mounts the Gradio chat at ``/``.
"""
