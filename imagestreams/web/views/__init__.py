"""Views, one module per page; each parses input, checks access with
imagestreams.access, calls one service or selector and renders."""
