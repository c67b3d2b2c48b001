"""Output serializers of the objects several endpoints return (docs/api.md
"Objects"); each view nests its own Input/Output serializers for the rest."""
