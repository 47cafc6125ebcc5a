//! Column and constraint helpers shared by the migrations.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema;

/// `id`: 64-bit auto-increment primary key.
pub fn id<T: IntoIden>(col: T) -> ColumnDef {
    schema::big_pk_auto(col)
}

/// `uuid`: unique, not null.
pub fn uuid<T: IntoIden>(col: T) -> ColumnDef {
    schema::uuid_uniq(col)
}

/// A not-null 64-bit foreign key column.
pub fn fk_col<T: IntoIden>(col: T) -> ColumnDef {
    schema::big_integer(col)
}

/// A nullable 64-bit foreign key column.
pub fn fk_col_null<T: IntoIden>(col: T) -> ColumnDef {
    schema::big_integer_null(col)
}

/// A not-null UTC timestamp.
pub fn time<T: IntoIden>(col: T) -> ColumnDef {
    schema::timestamp_with_time_zone(col)
}

/// A nullable UTC timestamp.
pub fn time_null<T: IntoIden>(col: T) -> ColumnDef {
    schema::timestamp_with_time_zone_null(col)
}

/// A foreign key `table.col -> to_table.id` named `fk_<table>_<col>`.
pub fn fk(
    table: impl IntoIden,
    col: impl IntoIden,
    to_table: impl IntoIden,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    let table = table.into_iden();
    let col = col.into_iden();
    ForeignKey::create()
        .name(format!("fk_{table}_{col}"))
        .from(table, col)
        .to(to_table.into_iden(), Alias::new("id"))
        .on_delete(on_delete)
        .on_update(ForeignKeyAction::Cascade)
        .to_owned()
}

/// A unique constraint `uq_<table>_<name>` over `cols`, declared inside `CREATE TABLE`.
pub fn unique(table: impl IntoIden, name: &str, cols: Vec<DynIden>) -> IndexCreateStatement {
    let table = table.into_iden();
    let mut stmt = Index::create();
    stmt.name(format!("uq_{table}_{name}"))
        .table(table)
        .unique();
    for col in cols {
        stmt.col(col);
    }
    stmt.to_owned()
}

/// A plain index `ix_<table>_<name>` over `cols`.
pub fn index(table: impl IntoIden, name: &str, cols: Vec<DynIden>) -> IndexCreateStatement {
    let table = table.into_iden();
    let mut stmt = Index::create();
    stmt.name(format!("ix_{table}_{name}")).table(table);
    for col in cols {
        stmt.col(col);
    }
    stmt.to_owned()
}

/// Drop tables in the given order (children first).
pub async fn drop_tables(manager: &SchemaManager<'_>, tables: Vec<DynIden>) -> Result<(), DbErr> {
    for table in tables {
        manager
            .drop_table(Table::drop().table(table).if_exists().to_owned())
            .await?;
    }
    Ok(())
}
