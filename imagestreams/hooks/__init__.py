"""Inbound webhooks from external registries (Docker Hub, Quay, Harbor and a
generic HMAC-signed form): a push upstream makes the matching scheduled tags
due at once, instead of at their next scheduled check."""
