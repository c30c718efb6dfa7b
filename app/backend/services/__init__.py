"""Business logic of the service: store and catalog access, slicing and fusion, rendering."""
