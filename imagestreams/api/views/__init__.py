"""API views, one module per resource; each view parses, checks access,
calls one service or selector and renders."""
