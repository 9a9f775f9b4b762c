use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "partners")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    pub contact_email: String,
    pub client_id: String,
    pub client_secret_salt: String,
    pub client_secret_hash: String,
    pub scopes: String,
    pub redirect_uris: Json,
    pub notice_webhook_url: Option<String>,
    pub signing_secret: String,
    pub previous_signing_secret: Option<String>,
    pub previous_signing_secret_until: Option<DateTimeUtc>,
    pub rate_limit_per_minute: i32,
    pub created_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
