"""The trigger pages of the team pages (templates in triggers/templates/triggers)."""
