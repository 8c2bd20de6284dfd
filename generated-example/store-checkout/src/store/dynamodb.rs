//! The books and users as DynamoDB tables (feature `aws`).
//!
//! Books: key `bookId` (S), with `title` (S), `quantity` (N), `price` (N), `reserved` (M:
//! reservation id → N, the copies that reservation took) and `released` (SS), the reservation
//! ids whose copies were put back. (Earlier versions kept a `reservations` string set of task
//! tokens; it is no longer read.) Users: key `userId` (S), with `points` (N),
//! `hasPaymentMethod` (BOOL), `redemptions` (M: redemption id → `{"outcome": S, "points": N}`,
//! what the first call with that id returned) and `restorations` (SS), the redemption ids whose
//! points were given back. The id sets grow with every order: a long-lived deployment would
//! keep them in items of their own with a TTL.
//!
//! Every write is one conditional `UpdateItem`, so it is atomic and retried calls apply once:
//!
//! - reserve: `SET quantity = quantity - :q, reserved.#id = :q` if the book exists, the stock
//!   covers `:q` and the id has no `reserved` entry. DynamoDB refuses a nested `SET` while the
//!   map does not exist, so a book without `reserved` gets the whole map, on the condition that
//!   it still has none. When the condition fails, the item as it was
//!   (`ReturnValuesOnConditionCheckFailure`, or a consistent read where a server does not return
//!   it) tells a missing book, an applied id, a short stock and a missing map apart;
//! - release: the book is read and the id's `reserved` entry looked up: without one nothing is
//!   written; otherwise `SET quantity = quantity + :q ADD released :id`, where `:q` is the
//!   entry's quantity as stored, if the entry still says `:q`, the id is not in `released` and
//!   the sum fits a `u64` (read again when the condition fails: another release came first, or
//!   the item was replaced);
//! - redeem: the user is read, the outcome decided, then written with the condition that the
//!   points are still the ones read and the id has no entry yet (retried from the read when
//!   another write came first). DynamoDB refuses a nested `SET redemptions.#id` while the map
//!   does not exist, so a user without `redemptions` gets the whole map, on the condition that
//!   it still has none;
//! - restore: the user is read and the id's `redemptions` entry looked up: without one, or with a
//!   refusal, nothing is written; otherwise `SET points = points + :p ADD restorations :id`,
//!   where `:p` is the entry's points as stored, if the entry is still a redemption of `:p`
//!   points and the id is not in `restorations` (read again when the condition fails: another
//!   restoration came first, or the item was replaced).
//!
//! The client is built on first use ([`DynamoDbBooks::from_env`]), since `handler()` is
//! synchronous: credentials, region and endpoint (`AWS_ENDPOINT_URL_DYNAMODB`) come from the
//! environment, as for any AWS SDK.

use std::collections::HashMap;
use std::fmt::Display;
use std::sync::Arc;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, ReturnValue,
    ReturnValuesOnConditionCheckFailure, ScalarAttributeType, TableStatus,
};
use tokio::sync::OnceCell;

// The SDK these stores are built on, for callers that build their own client.
pub use aws_sdk_dynamodb;

use super::{
    Book, BookStore, Redemption, Release, Restoration, StoreError, User, UserStore, sample_books,
    sample_users,
};

/// An item of a table.
type Item = HashMap<String, AttributeValue>;

/// How often a write that lost a race to another write is tried again before giving up: each
/// loss means another order's write went through, so the store as a whole makes progress.
const ATTEMPTS: usize = 32;

/// How long [`create_table`] waits for a new table to become active.
const TABLE_ACTIVE_TIMEOUT: Duration = Duration::from_secs(120);

/// A client built on first use from the environment, or given; clones share it.
#[derive(Debug, Clone)]
struct LazyClient(Arc<OnceCell<Client>>);

impl LazyClient {
    fn from_env() -> Self {
        Self(Arc::new(OnceCell::new()))
    }

    fn given(client: Client) -> Self {
        Self(Arc::new(OnceCell::new_with(Some(client))))
    }

    async fn get(&self) -> &Client {
        self.0.get_or_init(client_from_env).await
    }
}

/// A client configured from the environment (credentials, region, `AWS_ENDPOINT_URL_DYNAMODB`).
pub async fn client_from_env() -> Client {
    Client::new(&aws_config::load_defaults(BehaviorVersion::latest()).await)
}

/// The books table.
#[derive(Debug, Clone)]
pub struct DynamoDbBooks {
    client: LazyClient,
    table: String,
}

/// The users table.
#[derive(Debug, Clone)]
pub struct DynamoDbUsers {
    client: LazyClient,
    table: String,
}

/// The `store` is unavailable because `error` (an SDK error, shown with its sources).
fn unavailable(store: &'static str, error: impl std::error::Error) -> StoreError {
    StoreError::Unavailable {
        store,
        reason: DisplayErrorContext(error).to_string(),
    }
}

/// An item this code cannot read.
fn malformed(store: &'static str, key: &str, what: impl Display) -> StoreError {
    StoreError::Unavailable {
        store,
        reason: format!("item {key:?} {what}"),
    }
}

fn is_conditional_check_failed(error: &SdkError<UpdateItemError>) -> bool {
    matches!(
        error.as_service_error(),
        Some(UpdateItemError::ConditionalCheckFailedException(_))
    )
}

/// The item as it was when the condition failed, where the server returned it.
fn item_on_condition_failure(error: &SdkError<UpdateItemError>) -> Option<Item> {
    match error.as_service_error() {
        Some(UpdateItemError::ConditionalCheckFailedException(e)) => e.item().cloned(),
        _ => None,
    }
}

/// A DynamoDB number for an `f64`: Rust prints the shortest digits that read back to the same
/// value, never an exponent, so `number(x).parse() == x`.
fn number(value: f64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn string(item: &Item, name: &str, store: &'static str, key: &str) -> Result<String, StoreError> {
    match item.get(name) {
        Some(AttributeValue::S(value)) => Ok(value.clone()),
        _ => Err(malformed(store, key, format_args!("has no string {name}"))),
    }
}

/// The text of a number attribute.
fn number_text<'a>(
    item: &'a Item,
    name: &str,
    store: &'static str,
    key: &str,
) -> Result<&'a str, StoreError> {
    match item.get(name) {
        Some(AttributeValue::N(value)) => Ok(value),
        _ => Err(malformed(store, key, format_args!("has no number {name}"))),
    }
}

fn float(item: &Item, name: &str, store: &'static str, key: &str) -> Result<f64, StoreError> {
    let text = number_text(item, name, store, key)?;
    text.parse()
        .map_err(|_| malformed(store, key, format_args!("has {name} {text}, not a number")))
}

fn whole(item: &Item, name: &str, store: &'static str, key: &str) -> Result<u64, StoreError> {
    let text = number_text(item, name, store, key)?;
    text.parse().map_err(|_| {
        malformed(
            store,
            key,
            format_args!("has {name} {text}, not a whole number"),
        )
    })
}

/// Whether the string set `name` of `item` holds `id`.
fn set_contains(item: &Item, name: &str, id: &str) -> bool {
    matches!(item.get(name), Some(AttributeValue::Ss(ids)) if ids.iter().any(|i| i == id))
}

/// Reads an item with a strongly consistent read: a write acknowledged before is seen.
async fn get_item(
    client: &Client,
    table: &str,
    key: (&str, &str),
    store: &'static str,
) -> Result<Option<Item>, StoreError> {
    let output = client
        .get_item()
        .table_name(table)
        .key(key.0, AttributeValue::S(key.1.to_owned()))
        .consistent_read(true)
        .send()
        .await
        .map_err(|e| unavailable(store, e))?;
    Ok(output.item)
}

/// Creates the on-demand table `table` keyed by the string `key` unless it exists, and waits
/// until it is active; `true` when it was created.
async fn create_table(
    client: &Client,
    table: &str,
    key: &str,
    store: &'static str,
) -> Result<bool, StoreError> {
    let exists = client.describe_table().table_name(table).send().await;
    let created = match exists {
        Ok(_) => false,
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            let definition = AttributeDefinition::builder()
                .attribute_name(key)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(|e| unavailable(store, e))?;
            let schema = KeySchemaElement::builder()
                .attribute_name(key)
                .key_type(KeyType::Hash)
                .build()
                .map_err(|e| unavailable(store, e))?;
            let created = client
                .create_table()
                .table_name(table)
                .attribute_definitions(definition)
                .key_schema(schema)
                .billing_mode(BillingMode::PayPerRequest)
                .send()
                .await;
            match created {
                Ok(_) => true,
                // Created meanwhile by someone else: as good.
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|e| e.is_resource_in_use_exception()) =>
                {
                    false
                }
                Err(e) => return Err(unavailable(store, e)),
            }
        }
        Err(e) => return Err(unavailable(store, e)),
    };
    let deadline = tokio::time::Instant::now() + TABLE_ACTIVE_TIMEOUT;
    loop {
        let described = client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|e| unavailable(store, e))?;
        let status = described.table().and_then(|t| t.table_status());
        if status == Some(&TableStatus::Active) {
            return Ok(created);
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(StoreError::Unavailable {
                store,
                reason: format!(
                    "table {table:?} is not active after {TABLE_ACTIVE_TIMEOUT:?} (status {status:?})"
                ),
            });
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

impl DynamoDbBooks {
    /// The table `table` through `client`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client: LazyClient::given(client),
            table: table.into(),
        }
    }

    /// The table `table` through a client configured from the environment on first use.
    pub fn from_env(table: impl Into<String>) -> Self {
        Self {
            client: LazyClient::from_env(),
            table: table.into(),
        }
    }

    /// The table's name.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// Creates the table (on demand, keyed by `bookId`) unless it exists; `true` when created.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`].
    pub async fn create_table(&self) -> Result<bool, StoreError> {
        create_table(self.client.get().await, &self.table, "bookId", "books").await
    }

    /// Puts `book` in the table, replacing the item with its id (and its reservations and
    /// releases).
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`].
    pub async fn put_book(&self, book: &Book) -> Result<(), StoreError> {
        self.client
            .get()
            .await
            .put_item()
            .table_name(&self.table)
            .item("bookId", AttributeValue::S(book.book_id.clone()))
            .item("title", AttributeValue::S(book.title.clone()))
            .item("quantity", AttributeValue::N(book.quantity.to_string()))
            .item("price", number(book.price))
            .send()
            .await
            .map_err(|e| unavailable("books", e))?;
        Ok(())
    }

    async fn get(&self, book_id: &str) -> Result<Option<Item>, StoreError> {
        get_item(
            self.client.get().await,
            &self.table,
            ("bookId", book_id),
            "books",
        )
        .await
    }
}

/// The book's `reserved` map, if it has one.
fn reserved_of<'a>(item: &'a Item, book_id: &str) -> Result<Option<&'a Item>, StoreError> {
    match item.get("reserved") {
        Some(AttributeValue::M(reserved)) => Ok(Some(reserved)),
        None => Ok(None),
        Some(_) => Err(malformed(
            "books",
            book_id,
            "has reserved copies that are no map",
        )),
    }
}

/// A `reserved` entry: the copies reserved, and their number as stored.
fn reserved_copies<'a>(
    entry: &'a AttributeValue,
    book_id: &str,
) -> Result<(u64, &'a str), StoreError> {
    let bad = || {
        malformed(
            "books",
            book_id,
            "has a reservation that is no whole number",
        )
    };
    let AttributeValue::N(text) = entry else {
        return Err(bad());
    };
    let copies = text.parse().map_err(|_| bad())?;
    Ok((copies, text))
}

fn book_of(item: &Item, book_id: &str) -> Result<Book, StoreError> {
    Ok(Book {
        book_id: book_id.to_owned(),
        title: string(item, "title", "books", book_id)?,
        quantity: whole(item, "quantity", "books", book_id)?,
        price: float(item, "price", "books", book_id)?,
    })
}

impl BookStore for DynamoDbBooks {
    async fn book(&self, book_id: &str) -> Result<Option<Book>, StoreError> {
        self.get(book_id)
            .await?
            .map(|item| book_of(&item, book_id))
            .transpose()
    }

    async fn reserve(
        &self,
        reservation_id: &str,
        book_id: &str,
        quantity: u64,
    ) -> Result<u64, StoreError> {
        let client = self.client.get().await;
        // Whether the book has a `reserved` map, as last seen (most have, after their first
        // order).
        let mut has_map = true;
        for _ in 0..ATTEMPTS {
            let request = client
                .update_item()
                .table_name(&self.table)
                .key("bookId", AttributeValue::S(book_id.to_owned()))
                // Attribute names through placeholders: DynamoDB reserves many plain words.
                .expression_attribute_names("#bookId", "bookId")
                .expression_attribute_names("#quantity", "quantity")
                .expression_attribute_names("#reserved", "reserved")
                .expression_attribute_values(":q", AttributeValue::N(quantity.to_string()))
                .return_values(ReturnValue::UpdatedNew)
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                );
            // A nested SET needs the map to exist: the first reservation writes the whole map.
            let request = if has_map {
                request
                    .update_expression("SET #quantity = #quantity - :q, #reserved.#id = :q")
                    .condition_expression(
                        "attribute_exists(#bookId) AND #quantity >= :q \
                         AND attribute_exists(#reserved) AND attribute_not_exists(#reserved.#id)",
                    )
                    .expression_attribute_names("#id", reservation_id)
            } else {
                request
                    .update_expression("SET #quantity = #quantity - :q, #reserved = :entry")
                    .condition_expression(
                        "attribute_exists(#bookId) AND #quantity >= :q \
                         AND attribute_not_exists(#reserved)",
                    )
                    .expression_attribute_values(
                        ":entry",
                        AttributeValue::M(HashMap::from([(
                            reservation_id.to_owned(),
                            AttributeValue::N(quantity.to_string()),
                        )])),
                    )
            };
            let error = match request.send().await {
                Ok(output) => {
                    let attributes = output.attributes.unwrap_or_default();
                    return whole(&attributes, "quantity", "books", book_id);
                }
                Err(error) if is_conditional_check_failed(&error) => error,
                Err(error) => return Err(unavailable("books", error)),
            };
            let item = match item_on_condition_failure(&error) {
                Some(item) => item,
                None => match self.get(book_id).await? {
                    Some(item) => item,
                    None => return Err(StoreError::BookNotFound(book_id.to_owned())),
                },
            };
            let available = whole(&item, "quantity", "books", book_id)?;
            let reserved = reserved_of(&item, book_id)?;
            if reserved.is_some_and(|reserved| reserved.contains_key(reservation_id)) {
                return Ok(available);
            }
            if available < quantity {
                return Err(StoreError::InsufficientStock {
                    book_id: book_id.to_owned(),
                    available,
                    requested: quantity,
                });
            }
            // The map was missing (or appeared meanwhile), or the stock was read after the
            // failure and changed since: again.
            has_map = reserved.is_some();
        }
        Err(StoreError::Unavailable {
            store: "books",
            reason: format!("the stock of book {book_id:?} kept changing over {ATTEMPTS} attempts"),
        })
    }

    async fn release_reservation(
        &self,
        reservation_id: &str,
        book_id: &str,
    ) -> Result<Release, StoreError> {
        let client = self.client.get().await;
        for _ in 0..ATTEMPTS {
            let Some(item) = self.get(book_id).await? else {
                return Err(StoreError::BookNotFound(book_id.to_owned()));
            };
            let entry = reserved_of(&item, book_id)?.and_then(|r| r.get(reservation_id));
            let Some(entry) = entry else {
                return Ok(Release::NothingReserved);
            };
            let (copies, recorded) = reserved_copies(entry, book_id)?;
            if set_contains(&item, "released", reservation_id) {
                return Ok(Release::AlreadyReleased(copies));
            }
            let max = u64::MAX - copies;
            if whole(&item, "quantity", "books", book_id)? > max {
                return Err(StoreError::StockOverflow(book_id.to_owned()));
            }
            // The recorded copies as stored: the condition compares them. DynamoDB numbers
            // have 38 digits: the sum is exact, the bound keeps it a u64.
            let updated = client
                .update_item()
                .table_name(&self.table)
                .key("bookId", AttributeValue::S(book_id.to_owned()))
                .update_expression("SET #quantity = #quantity + :q ADD #released :ids")
                .condition_expression(
                    "#reserved.#id = :q AND NOT contains(#released, :id) AND #quantity <= :max",
                )
                .expression_attribute_names("#quantity", "quantity")
                .expression_attribute_names("#reserved", "reserved")
                .expression_attribute_names("#id", reservation_id)
                .expression_attribute_names("#released", "released")
                .expression_attribute_values(":q", AttributeValue::N(recorded.to_owned()))
                .expression_attribute_values(":max", AttributeValue::N(max.to_string()))
                .expression_attribute_values(
                    ":ids",
                    AttributeValue::Ss(vec![reservation_id.into()]),
                )
                .expression_attribute_values(":id", AttributeValue::S(reservation_id.to_owned()))
                .send()
                .await;
            match updated {
                Ok(_) => return Ok(Release::Released(copies)),
                // Released meanwhile by another call, the stock changed, or the item was
                // replaced: read again.
                Err(error) if is_conditional_check_failed(&error) => {}
                Err(error) => return Err(unavailable("books", error)),
            }
        }
        Err(StoreError::Unavailable {
            store: "books",
            reason: format!(
                "the reservation {reservation_id:?} of book {book_id:?} kept changing over \
                 {ATTEMPTS} attempts"
            ),
        })
    }
}

impl DynamoDbUsers {
    /// The table `table` through `client`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client: LazyClient::given(client),
            table: table.into(),
        }
    }

    /// The table `table` through a client configured from the environment on first use.
    pub fn from_env(table: impl Into<String>) -> Self {
        Self {
            client: LazyClient::from_env(),
            table: table.into(),
        }
    }

    /// The table's name.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// Creates the table (on demand, keyed by `userId`) unless it exists; `true` when created.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`].
    pub async fn create_table(&self) -> Result<bool, StoreError> {
        create_table(self.client.get().await, &self.table, "userId", "users").await
    }

    /// Puts `user` in the table, replacing the item with its id (and its redemptions).
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`].
    pub async fn put_user(&self, user: &User) -> Result<(), StoreError> {
        self.client
            .get()
            .await
            .put_item()
            .table_name(&self.table)
            .item("userId", AttributeValue::S(user.user_id.clone()))
            .item("points", number(user.points))
            .item(
                "hasPaymentMethod",
                AttributeValue::Bool(user.has_payment_method),
            )
            .send()
            .await
            .map_err(|e| unavailable("users", e))?;
        Ok(())
    }

    async fn get(&self, user_id: &str) -> Result<Option<Item>, StoreError> {
        get_item(
            self.client.get().await,
            &self.table,
            ("userId", user_id),
            "users",
        )
        .await
    }
}

fn user_of(item: &Item, user_id: &str) -> Result<User, StoreError> {
    let has_payment_method = match item.get("hasPaymentMethod") {
        Some(AttributeValue::Bool(value)) => *value,
        _ => {
            return Err(malformed(
                "users",
                user_id,
                "has no boolean hasPaymentMethod",
            ));
        }
    };
    Ok(User {
        user_id: user_id.to_owned(),
        points: float(item, "points", "users", user_id)?,
        has_payment_method,
    })
}

const REDEEMED: &str = "redeemed";
const REFUSED: &str = "refused";

/// A `redemptions` entry: what the first call returned.
fn redemption_entry(redemption: Redemption) -> AttributeValue {
    let (outcome, points) = match redemption {
        Redemption::Redeemed(points) => (REDEEMED, points),
        Redemption::Refused(points) => (REFUSED, points),
    };
    AttributeValue::M(HashMap::from([
        ("outcome".to_owned(), AttributeValue::S(outcome.to_owned())),
        ("points".to_owned(), number(points)),
    ]))
}

/// A `redemptions` entry's outcome, and its points as stored.
fn redemption_of<'a>(
    entry: &'a AttributeValue,
    user_id: &str,
) -> Result<(Redemption, &'a str), StoreError> {
    let bad = || {
        malformed(
            "users",
            user_id,
            "has a redemption that is no {outcome, points}",
        )
    };
    let AttributeValue::M(entry) = entry else {
        return Err(bad());
    };
    let text = number_text(entry, "points", "users", user_id)?;
    let points = float(entry, "points", "users", user_id)?;
    match entry.get("outcome") {
        Some(AttributeValue::S(outcome)) if outcome == REDEEMED => {
            Ok((Redemption::Redeemed(points), text))
        }
        Some(AttributeValue::S(outcome)) if outcome == REFUSED => {
            Ok((Redemption::Refused(points), text))
        }
        _ => Err(bad()),
    }
}

/// The user's `redemptions` map, if it has one.
fn redemptions_of<'a>(item: &'a Item, user_id: &str) -> Result<Option<&'a Item>, StoreError> {
    match item.get("redemptions") {
        Some(AttributeValue::M(redemptions)) => Ok(Some(redemptions)),
        None => Ok(None),
        Some(_) => Err(malformed(
            "users",
            user_id,
            "has redemptions that are no map",
        )),
    }
}

impl UserStore for DynamoDbUsers {
    async fn user(&self, user_id: &str) -> Result<Option<User>, StoreError> {
        self.get(user_id)
            .await?
            .map(|item| user_of(&item, user_id))
            .transpose()
    }

    async fn redeem_points_below(
        &self,
        redemption_id: &str,
        user_id: &str,
        limit: f64,
    ) -> Result<Redemption, StoreError> {
        let client = self.client.get().await;
        for _ in 0..ATTEMPTS {
            let Some(item) = self.get(user_id).await? else {
                return Err(StoreError::UserNotFound(user_id.to_owned()));
            };
            let redemptions = redemptions_of(&item, user_id)?;
            if let Some(first) = redemptions.and_then(|r| r.get(redemption_id)) {
                return redemption_of(first, user_id).map(|(redemption, _)| redemption);
            }
            // The points as stored, so that the condition compares them exactly.
            let seen = number_text(&item, "points", "users", user_id)?.to_owned();
            let points = float(&item, "points", "users", user_id)?;
            let (redemption, left) = if points < limit {
                (Redemption::Redeemed(points), "0".to_owned())
            } else {
                (Redemption::Refused(points), seen.clone())
            };
            let entry = redemption_entry(redemption);
            let request = client
                .update_item()
                .table_name(&self.table)
                .key("userId", AttributeValue::S(user_id.to_owned()))
                .expression_attribute_names("#points", "points")
                .expression_attribute_names("#redemptions", "redemptions")
                .expression_attribute_values(":seen", AttributeValue::N(seen))
                .expression_attribute_values(":left", AttributeValue::N(left));
            // A nested SET needs the map to exist: the first redemption writes the whole map.
            let request = if redemptions.is_some() {
                request
                    .update_expression("SET #points = :left, #redemptions.#id = :entry")
                    .condition_expression(
                        "#points = :seen AND attribute_not_exists(#redemptions.#id)",
                    )
                    .expression_attribute_names("#id", redemption_id)
                    .expression_attribute_values(":entry", entry)
            } else {
                request
                    .update_expression("SET #points = :left, #redemptions = :entry")
                    .condition_expression("#points = :seen AND attribute_not_exists(#redemptions)")
                    .expression_attribute_values(
                        ":entry",
                        AttributeValue::M(HashMap::from([(redemption_id.to_owned(), entry)])),
                    )
            };
            match request.send().await {
                Ok(_) => return Ok(redemption),
                // Another write came between the read and this one: decide again.
                Err(error) if is_conditional_check_failed(&error) => {}
                Err(error) => return Err(unavailable("users", error)),
            }
        }
        Err(StoreError::Unavailable {
            store: "users",
            reason: format!(
                "the points of user {user_id:?} kept changing over {ATTEMPTS} attempts"
            ),
        })
    }

    async fn restore_redeemed_points(
        &self,
        redemption_id: &str,
        user_id: &str,
    ) -> Result<Restoration, StoreError> {
        let client = self.client.get().await;
        for _ in 0..ATTEMPTS {
            let Some(item) = self.get(user_id).await? else {
                return Err(StoreError::UserNotFound(user_id.to_owned()));
            };
            let entry = redemptions_of(&item, user_id)?.and_then(|r| r.get(redemption_id));
            let Some(entry) = entry else {
                return Ok(Restoration::NothingRedeemed);
            };
            let (Redemption::Redeemed(points), recorded) = redemption_of(entry, user_id)? else {
                return Ok(Restoration::NothingRedeemed);
            };
            if set_contains(&item, "restorations", redemption_id) {
                return Ok(Restoration::AlreadyRestored(points));
            }
            // The recorded points as stored: the condition compares them and the sum adds them
            // exactly.
            let updated = client
                .update_item()
                .table_name(&self.table)
                .key("userId", AttributeValue::S(user_id.to_owned()))
                .update_expression("SET #points = #points + :p ADD #restorations :ids")
                .condition_expression(
                    "#redemptions.#id.#outcome = :redeemed AND #redemptions.#id.#points = :p \
                     AND NOT contains(#restorations, :id)",
                )
                .expression_attribute_names("#points", "points")
                .expression_attribute_names("#redemptions", "redemptions")
                .expression_attribute_names("#id", redemption_id)
                .expression_attribute_names("#outcome", "outcome")
                .expression_attribute_names("#restorations", "restorations")
                .expression_attribute_values(":p", AttributeValue::N(recorded.to_owned()))
                .expression_attribute_values(":redeemed", AttributeValue::S(REDEEMED.to_owned()))
                .expression_attribute_values(":ids", AttributeValue::Ss(vec![redemption_id.into()]))
                .expression_attribute_values(":id", AttributeValue::S(redemption_id.to_owned()))
                .send()
                .await;
            match updated {
                Ok(_) => return Ok(Restoration::Restored(points)),
                // Restored meanwhile by another call, or the item was replaced: read again.
                Err(error) if is_conditional_check_failed(&error) => {}
                Err(error) => return Err(unavailable("users", error)),
            }
        }
        Err(StoreError::Unavailable {
            store: "users",
            reason: format!(
                "the redemption {redemption_id:?} of user {user_id:?} kept changing over \
                 {ATTEMPTS} attempts"
            ),
        })
    }
}

/// What [`seed`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seeded {
    /// Whether the books table was created (rather than found).
    pub books_table_created: bool,
    /// Whether the users table was created (rather than found).
    pub users_table_created: bool,
    /// Books put.
    pub books: usize,
    /// Users put.
    pub users: usize,
}

/// Creates both tables unless they exist and puts the sample data in them ([`sample_books`],
/// [`sample_users`]), replacing the items with the same ids.
///
/// # Errors
///
/// [`StoreError::Unavailable`].
pub async fn seed(books: &DynamoDbBooks, users: &DynamoDbUsers) -> Result<Seeded, StoreError> {
    let books_table_created = books.create_table().await?;
    let users_table_created = users.create_table().await?;
    let sample_books = sample_books();
    for book in &sample_books {
        books.put_book(book).await?;
    }
    let sample_users = sample_users();
    for user in &sample_users {
        users.put_user(user).await?;
    }
    Ok(Seeded {
        books_table_created,
        users_table_created,
        books: sample_books.len(),
        users: sample_users.len(),
    })
}
