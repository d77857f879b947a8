//! A lode target's local storage: mountpaths, object file layout, atomic writes, metadata, listing
