//! sea-orm entities and queries: the only crate that touches entity types.
