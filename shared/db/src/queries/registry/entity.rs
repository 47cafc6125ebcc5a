//! The registry's tables (`m20260301_000001_create_registry`), kept beside their queries.

/// `registry_blob`: a blob a repository may see.
pub mod blob {
    use sea_orm::entity::prelude::*;

    /// A row of `registry_blob`.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "registry_blob")]
    pub struct Model {
        /// Integer key.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// The repository (project).
        pub project_id: i64,
        /// `algorithm:hex`.
        pub digest: String,
        /// Length in bytes.
        pub size: i64,
        /// When it was linked (UTC).
        pub created: DateTimeUtc,
    }

    /// No declared relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `registry_upload`: an upload session.
pub mod upload {
    use sea_orm::entity::prelude::*;

    /// A row of `registry_upload`.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "registry_upload")]
    pub struct Model {
        /// Integer key.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// The session id given to clients.
        #[sea_orm(unique)]
        pub uuid: Uuid,
        /// The repository (project).
        pub project_id: i64,
        /// Bytes received so far.
        pub offset: i64,
        /// Comma-separated object keys of the chunks, in order.
        pub parts: String,
        /// sha256 of the bytes so far while they are a single chunk.
        pub hash: Option<String>,
        /// Start (UTC).
        pub created: DateTimeUtc,
        /// Last chunk (UTC).
        pub modified: DateTimeUtc,
    }

    /// No declared relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `registry_manifest`: a manifest of a repository.
pub mod manifest {
    use sea_orm::entity::prelude::*;

    /// A row of `registry_manifest`.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "registry_manifest")]
    pub struct Model {
        /// Integer key.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// The repository (project).
        pub project_id: i64,
        /// `algorithm:hex` of the stored bytes.
        pub digest: String,
        /// The media type it was pushed with.
        pub media_type: String,
        /// Length in bytes.
        pub size: i64,
        /// The digest of its `subject`, if any.
        pub subject: Option<String>,
        /// Its `artifactType` (or its config's media type).
        pub artifact_type: Option<String>,
        /// Its `annotations`.
        pub annotations: Option<Json>,
        /// When it was pushed (UTC).
        pub created: DateTimeUtc,
    }

    /// No declared relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `registry_tag`: a tag of a repository.
pub mod tag {
    use sea_orm::entity::prelude::*;

    /// A row of `registry_tag`.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "registry_tag")]
    pub struct Model {
        /// Integer key.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// The repository (project).
        pub project_id: i64,
        /// The tag.
        pub name: String,
        /// The manifest it points to.
        pub digest: String,
        /// Last move (UTC).
        pub modified: DateTimeUtc,
    }

    /// No declared relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
