"""Configuration: Dask YAML files, the profile they make, and writing edits back.

Owns: loading with provenance (``load``: which file or variable set each key), the YAML
document edited key by key (``document``), writing changes atomically (``write``), the
``Profile`` itself (``profile``), settings as text and back (``values``) and checks before
anything is submitted (``validate``).

Public face: ``load.load_profile`` / ``load.choose_target``, ``profile.Profile``,
``write.write_profile``, ``validate.validate``, ``values``.
"""
