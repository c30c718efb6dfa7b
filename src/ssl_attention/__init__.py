"""ssl-attention: precompute, store and serve raw attention maps of vision transformers.

Importing this package never imports torch; the model side lives in `ssl_attention.models`
and `ssl_attention.attention`.
"""

__version__ = "0.1.0"
