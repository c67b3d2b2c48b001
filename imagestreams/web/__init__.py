"""The browser UI for teams: server-rendered pages with htmx partial updates."""
