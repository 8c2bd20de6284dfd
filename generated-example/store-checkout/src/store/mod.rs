//! The state the checkout functions read and write, behind small traits: books ([`BookStore`]),
//! users ([`UserStore`]) and couriers ([`CourierPool`]).
//!
//! Two implementations of the books and users: in memory ([`InMemoryBooks`], [`InMemoryUsers`],
//! with [`InMemoryCouriers`]), starting from the seed data of
//! `definitions/store-checkout/examples/README.md` ([`sample_books`], [`sample_users`]); and
//! DynamoDB tables keyed by `bookId` and `userId`, as the original Node functions kept them
//! (`dynamodb`, feature `aws`). [`Books`] and [`Users`] pick one at run time ([`backend`]): the
//! table when its variable ([`BOOKS_TABLE`], [`USERS_TABLE`]) is set, the seeded memory when it
//! is not. A variable that is set in a build without the `aws` feature is an error
//! ([`MissingAwsFeature`]), not a fallback to memory: a Lambda deployed that way would otherwise
//! sell from the sample data and forget every order when it is recycled. The functions'
//! `handler()`, which the generated binaries call before serving, ends the process on that error
//! ([`or_exit`]), so the Lambda fails its initialisation and its CloudWatch log says why.
//! The in-memory stores are cheap to clone and clones share their data, so one store can back
//! several handlers (as one table backs several Lambda functions).
//!
//! Every operation that reads and then writes (reserving stock, giving it back, redeeming
//! points, giving them back) is one trait method, so an implementation can make it atomic (a lock
//! in memory, a conditional update in DynamoDB) and two concurrent executions cannot both spend
//! the same copies or points. A reservation of copies and a redemption of points are each
//! recorded per execution id, with what they took; the compensations give back exactly what the
//! record says, once, and nothing when there is no record:
//! [`BookStore::release_reservation`] (restoreQuantity: sqsWorker did not reserve, or the
//! stock did not cover the order) and [`UserStore::restore_redeemed_points`]
//! (restoreRedeemPoints: redeemPoints did not run, or refused).

use std::future::Future;

#[cfg(feature = "aws")]
pub mod dynamodb;
mod memory;

#[cfg(feature = "aws")]
pub use dynamodb::{DynamoDbBooks, DynamoDbUsers};
pub use memory::{InMemoryBooks, InMemoryCouriers, InMemoryUsers};

/// The variable naming the books table (set by the generated templates).
pub const BOOKS_TABLE: &str = "BOOKS_TABLE";
/// The variable naming the users table (set by the generated templates).
pub const USERS_TABLE: &str = "USERS_TABLE";

/// A book record (a row of the books table).
#[derive(Debug, Clone, PartialEq)]
pub struct Book {
    /// The key.
    pub book_id: String,
    /// The title.
    pub title: String,
    /// Copies in stock.
    pub quantity: u64,
    /// Price of one copy.
    pub price: f64,
}

/// A user record (a row of the users table).
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// The key.
    pub user_id: String,
    /// Loyalty points, worth one unit of currency each.
    pub points: f64,
    /// Whether the user can be charged.
    pub has_payment_method: bool,
}

/// A courier on duty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Courier {
    /// The courier's email address, which the worker reports.
    pub email: String,
    /// The most copies the courier takes in one order.
    pub max_copies: u64,
}

/// What [`UserStore::redeem_points_below`] did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Redemption {
    /// The user's points were below the limit: they are now 0, and this many were redeemed.
    Redeemed(f64),
    /// The user's points were not below the limit and were left unchanged.
    Refused(f64),
}

/// What [`BookStore::release_reservation`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release {
    /// This call put the reserved copies back in stock: this many.
    Released(u64),
    /// An earlier call with the same id put the copies back (this many); nothing changed.
    AlreadyReleased(u64),
    /// Nothing was reserved from the book under the id; nothing changed.
    NothingReserved,
}

/// What [`UserStore::restore_redeemed_points`] did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Restoration {
    /// This call gave back the points the redemption took: this many.
    Restored(f64),
    /// An earlier call with the same id gave back the points (this many); nothing changed.
    AlreadyRestored(f64),
    /// Nothing was redeemed under the id (no redemption recorded, or it was refused); nothing
    /// changed.
    NothingRedeemed,
}

/// A storage operation failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StoreError {
    /// No book has the id.
    #[error("no book has id {0:?}")]
    BookNotFound(String),
    /// No user has the id.
    #[error("no user has id {0:?}")]
    UserNotFound(String),
    /// A reservation asked for more copies than are in stock; the stock is unchanged.
    #[error("book {book_id:?} has {available} copies in stock, {requested} requested")]
    InsufficientStock {
        /// The book.
        book_id: String,
        /// Copies in stock.
        available: u64,
        /// Copies asked for.
        requested: u64,
    },
    /// A stock count would overflow (copies given back to a stock that has grown since their
    /// reservation); nothing was changed.
    #[error("the stock of book {0:?} would overflow")]
    StockOverflow(String),
    /// A writer panicked while holding the store's lock, so its data may be half-updated.
    #[error("the {0} store is unavailable: a writer panicked while holding its lock")]
    Poisoned(&'static str),
    /// The database could not be reached, refused the call, or holds an item this code cannot
    /// read; whether a write happened is unknown. Reservations, redemptions and what gives them
    /// back are idempotent per id and may be retried.
    #[error("the {store} store is unavailable: {reason}")]
    Unavailable {
        /// `books` or `users`.
        store: &'static str,
        /// What failed, as the SDK or the item says.
        reason: String,
    },
}

impl StoreError {
    /// The ASL error name a function reports this error with (through its `Other` variant; see
    /// [`crate::errors`]).
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::BookNotFound(_) => "BookNotFound",
            Self::UserNotFound(_) => "UserNotFound",
            Self::InsufficientStock { .. } => "BookOutOfStock",
            Self::StockOverflow(_) => "StockOverflow",
            Self::Poisoned(_) | Self::Unavailable { .. } => "StoreUnavailable",
        }
    }
}

/// The books table.
pub trait BookStore: Send + Sync + 'static {
    /// The book with this id, if any.
    fn book(&self, book_id: &str) -> impl Future<Output = Result<Option<Book>, StoreError>> + Send;

    /// Takes `quantity` copies out of stock, atomically, records them as reserved under
    /// `reservation_id` (the execution's id), and returns the stock left.
    ///
    /// `reservation_id` makes the call idempotent: a second call with the same id and book
    /// changes nothing and returns the current stock (SQS delivers a message at least once, and
    /// redelivers it when completing its task token failed).
    ///
    /// # Errors
    ///
    /// [`StoreError::BookNotFound`], or [`StoreError::InsufficientStock`] (stock unchanged).
    fn reserve(
        &self,
        reservation_id: &str,
        book_id: &str,
        quantity: u64,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Puts back in stock the copies that [`Self::reserve`] recorded as reserved from the book
    /// under `reservation_id`: exactly the recorded quantity, whatever the caller believes it
    /// was. Atomic and once per id: a second call changes nothing and returns
    /// [`Release::AlreadyReleased`]. Without a recorded reservation (none was made under the id,
    /// or it was refused for want of stock) nothing changes and it returns
    /// [`Release::NothingReserved`]; such a call does not prevent a later reservation under the
    /// id.
    ///
    /// # Errors
    ///
    /// [`StoreError::BookNotFound`], or [`StoreError::StockOverflow`] (nothing changed).
    fn release_reservation(
        &self,
        reservation_id: &str,
        book_id: &str,
    ) -> impl Future<Output = Result<Release, StoreError>> + Send;
}

/// The users table.
pub trait UserStore: Send + Sync + 'static {
    /// The user with this id, if any.
    fn user(&self, user_id: &str) -> impl Future<Output = Result<Option<User>, StoreError>> + Send;

    /// If the user's points are below `limit`, sets them to 0 and returns
    /// [`Redemption::Redeemed`] with the points taken; otherwise leaves them and returns
    /// [`Redemption::Refused`]. Atomic: points are never redeemed twice.
    ///
    /// `redemption_id` (the execution's id) makes the call idempotent: a second call with the
    /// same id changes nothing and returns what the first returned, whatever the points are by
    /// then (Lambda retries an invocation whose response was lost).
    ///
    /// # Errors
    ///
    /// [`StoreError::UserNotFound`].
    fn redeem_points_below(
        &self,
        redemption_id: &str,
        user_id: &str,
        limit: f64,
    ) -> impl Future<Output = Result<Redemption, StoreError>> + Send;

    /// Gives back to the user the points that [`Self::redeem_points_below`] recorded as redeemed
    /// under `redemption_id`: exactly the recorded amount, whatever the caller believes it was.
    /// Atomic and once per id: a second call changes nothing and returns
    /// [`Restoration::AlreadyRestored`]. Without a recorded redemption (none was made under the
    /// id, or it was refused) nothing changes and it returns [`Restoration::NothingRedeemed`].
    ///
    /// # Errors
    ///
    /// [`StoreError::UserNotFound`].
    fn restore_redeemed_points(
        &self,
        redemption_id: &str,
        user_id: &str,
    ) -> impl Future<Output = Result<Restoration, StoreError>> + Send;
}

/// The couriers on duty.
pub trait CourierPool: Send + Sync + 'static {
    /// A courier who can take an order of `quantity` copies, or `None` when nobody can.
    fn assign(
        &self,
        quantity: u64,
    ) -> impl Future<Output = Result<Option<Courier>, StoreError>> + Send;
}

/// The seed data's books: "100" (10 in stock at 39.5) and "101" (20 at 45.25).
pub fn sample_books() -> Vec<Book> {
    vec![
        Book {
            book_id: "100".into(),
            title: "The Rust Programming Language".into(),
            quantity: 10,
            price: 39.5,
        },
        Book {
            book_id: "101".into(),
            title: "Zero To Production In Rust".into(),
            quantity: 20,
            price: 45.25,
        },
    ]
}

/// The seed data's users: "1" (20 points), "2" (500 points), "3" (10 points, no payment method).
pub fn sample_users() -> Vec<User> {
    let user = |id: &str, points: f64, has_payment_method: bool| User {
        user_id: id.to_owned(),
        points,
        has_payment_method,
    };
    vec![
        user("1", 20.0, true),
        user("2", 500.0, true),
        user("3", 10.0, false),
    ]
}

/// Where a store keeps its data, as [`backend`] decides it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// The seeded in-memory data: the table variable is not set (tests, local runs).
    Memory,
    /// The DynamoDB table of this name.
    DynamoDb(String),
}

/// A table variable is set, but this build has no DynamoDB stores (feature `aws`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{variable} is set (to {table:?}), but this binary was built without the `aws` feature and \
     cannot use DynamoDB: build it with `--features aws` (cargo lambda build --release \
     --features aws), or unset {variable} to run on the in-memory sample data"
)]
pub struct MissingAwsFeature {
    /// The variable, [`BOOKS_TABLE`] or [`USERS_TABLE`].
    pub variable: &'static str,
    /// Its value, the table name.
    pub table: String,
}

/// Whether this build has the DynamoDB stores (feature `aws`).
pub const AWS_FEATURE: bool = cfg!(feature = "aws");

/// Where the store named by `variable` keeps its data, given the variable's `value` (as
/// [`table_name`] reads it) and whether the build has the `aws` feature ([`AWS_FEATURE`]): the
/// table when the variable is set, memory when it is not (or is empty).
///
/// # Errors
///
/// [`MissingAwsFeature`] when the variable is set and `aws_feature` is false.
pub fn backend(
    variable: &'static str,
    value: Option<String>,
    aws_feature: bool,
) -> Result<Backend, MissingAwsFeature> {
    match value.filter(|table| !table.is_empty()) {
        None => Ok(Backend::Memory),
        Some(table) if aws_feature => Ok(Backend::DynamoDb(table)),
        Some(table) => Err(MissingAwsFeature { variable, table }),
    }
}

/// For `handler()`, which the generated Lambda binaries call before serving: the store, or, on
/// [`MissingAwsFeature`], the message on standard error and exit status 1. The function then
/// fails its initialisation (Lambda reports `Runtime.ExitError`) and the message is in its
/// CloudWatch log, rather than every order being served from sample data.
pub fn or_exit<T>(store: Result<T, MissingAwsFeature>) -> T {
    match store {
        Ok(store) => store,
        Err(error) => {
            eprintln!("error: {error}");
            std::process::exit(1)
        }
    }
}

/// The books a function's `handler()` uses: the DynamoDB table named by [`BOOKS_TABLE`] when it
/// is set (feature `aws`), the seeded in-memory books when it is not.
#[derive(Debug, Clone)]
pub enum Books {
    /// In memory.
    Memory(InMemoryBooks),
    /// A DynamoDB table.
    #[cfg(feature = "aws")]
    DynamoDb(DynamoDbBooks),
}

impl Books {
    /// The table named by [`BOOKS_TABLE`], or the seeded in-memory books when it is not set
    /// ([`backend`]).
    ///
    /// # Errors
    ///
    /// [`MissingAwsFeature`] when [`BOOKS_TABLE`] is set in a build without the `aws` feature.
    pub fn from_env() -> Result<Self, MissingAwsFeature> {
        match backend(BOOKS_TABLE, table_name(BOOKS_TABLE), AWS_FEATURE)? {
            Backend::Memory => Ok(Self::Memory(InMemoryBooks::seeded())),
            #[cfg(feature = "aws")]
            Backend::DynamoDb(table) => Ok(Self::DynamoDb(DynamoDbBooks::from_env(table))),
            // `backend` does not choose a table without the feature.
            #[cfg(not(feature = "aws"))]
            Backend::DynamoDb(table) => Err(MissingAwsFeature {
                variable: BOOKS_TABLE,
                table,
            }),
        }
    }
}

/// The users a function's `handler()` uses: the DynamoDB table named by [`USERS_TABLE`] when it
/// is set (feature `aws`), the seeded in-memory users when it is not.
#[derive(Debug, Clone)]
pub enum Users {
    /// In memory.
    Memory(InMemoryUsers),
    /// A DynamoDB table.
    #[cfg(feature = "aws")]
    DynamoDb(DynamoDbUsers),
}

impl Users {
    /// The table named by [`USERS_TABLE`], or the seeded in-memory users when it is not set
    /// ([`backend`]).
    ///
    /// # Errors
    ///
    /// [`MissingAwsFeature`] when [`USERS_TABLE`] is set in a build without the `aws` feature.
    pub fn from_env() -> Result<Self, MissingAwsFeature> {
        match backend(USERS_TABLE, table_name(USERS_TABLE), AWS_FEATURE)? {
            Backend::Memory => Ok(Self::Memory(InMemoryUsers::seeded())),
            #[cfg(feature = "aws")]
            Backend::DynamoDb(table) => Ok(Self::DynamoDb(DynamoDbUsers::from_env(table))),
            // `backend` does not choose a table without the feature.
            #[cfg(not(feature = "aws"))]
            Backend::DynamoDb(table) => Err(MissingAwsFeature {
                variable: USERS_TABLE,
                table,
            }),
        }
    }
}

/// The table name in `variable`, if set and not empty. A value that is not Unicode is kept (its
/// invalid bytes replaced), so that it is reported rather than taken as unset.
pub fn table_name(variable: &str) -> Option<String> {
    let value = match std::env::var(variable) {
        Ok(value) => value,
        Err(std::env::VarError::NotPresent) => return None,
        Err(std::env::VarError::NotUnicode(value)) => value.to_string_lossy().into_owned(),
    };
    Some(value).filter(|name| !name.is_empty())
}

// The DynamoDB futures are boxed: the SDK's are deeply nested types, and an unboxed one makes a
// binary's `main` future exceed the compiler's layout depth limit.
impl BookStore for Books {
    async fn book(&self, book_id: &str) -> Result<Option<Book>, StoreError> {
        match self {
            Self::Memory(books) => books.book(book_id).await,
            #[cfg(feature = "aws")]
            Self::DynamoDb(books) => Box::pin(books.book(book_id)).await,
        }
    }

    async fn reserve(
        &self,
        reservation_id: &str,
        book_id: &str,
        quantity: u64,
    ) -> Result<u64, StoreError> {
        match self {
            Self::Memory(books) => books.reserve(reservation_id, book_id, quantity).await,
            #[cfg(feature = "aws")]
            Self::DynamoDb(books) => {
                Box::pin(books.reserve(reservation_id, book_id, quantity)).await
            }
        }
    }

    async fn release_reservation(
        &self,
        reservation_id: &str,
        book_id: &str,
    ) -> Result<Release, StoreError> {
        match self {
            Self::Memory(books) => books.release_reservation(reservation_id, book_id).await,
            #[cfg(feature = "aws")]
            Self::DynamoDb(books) => {
                Box::pin(books.release_reservation(reservation_id, book_id)).await
            }
        }
    }
}

impl UserStore for Users {
    async fn user(&self, user_id: &str) -> Result<Option<User>, StoreError> {
        match self {
            Self::Memory(users) => users.user(user_id).await,
            #[cfg(feature = "aws")]
            Self::DynamoDb(users) => Box::pin(users.user(user_id)).await,
        }
    }

    async fn redeem_points_below(
        &self,
        redemption_id: &str,
        user_id: &str,
        limit: f64,
    ) -> Result<Redemption, StoreError> {
        match self {
            Self::Memory(users) => {
                users
                    .redeem_points_below(redemption_id, user_id, limit)
                    .await
            }
            #[cfg(feature = "aws")]
            Self::DynamoDb(users) => {
                Box::pin(users.redeem_points_below(redemption_id, user_id, limit)).await
            }
        }
    }

    async fn restore_redeemed_points(
        &self,
        redemption_id: &str,
        user_id: &str,
    ) -> Result<Restoration, StoreError> {
        match self {
            Self::Memory(users) => users.restore_redeemed_points(redemption_id, user_id).await,
            #[cfg(feature = "aws")]
            Self::DynamoDb(users) => {
                Box::pin(users.restore_redeemed_points(redemption_id, user_id)).await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_variable_chooses_dynamodb_with_the_aws_feature() {
        let table = || Some("store-checkout-BooksTable-1".to_owned());
        assert_eq!(
            backend(BOOKS_TABLE, table(), true),
            Ok(Backend::DynamoDb("store-checkout-BooksTable-1".into()))
        );
        assert_eq!(backend(BOOKS_TABLE, None, true), Ok(Backend::Memory));
        assert_eq!(
            backend(USERS_TABLE, Some(String::new()), true),
            Ok(Backend::Memory)
        );
    }

    #[test]
    fn without_the_variable_memory_is_chosen_in_any_build() {
        assert_eq!(backend(BOOKS_TABLE, None, false), Ok(Backend::Memory));
        assert_eq!(
            backend(USERS_TABLE, Some(String::new()), false),
            Ok(Backend::Memory)
        );
    }

    #[test]
    fn a_table_variable_without_the_aws_feature_is_an_error_not_memory() {
        let error = backend(USERS_TABLE, Some("users".into()), false).unwrap_err();
        assert_eq!(
            error,
            MissingAwsFeature {
                variable: USERS_TABLE,
                table: "users".into()
            }
        );
        let message = error.to_string();
        assert_eq!(
            message,
            "USERS_TABLE is set (to \"users\"), but this binary was built without the `aws` \
             feature and cannot use DynamoDB: build it with `--features aws` (cargo lambda build \
             --release --features aws), or unset USERS_TABLE to run on the in-memory sample data"
        );
        let error = backend(BOOKS_TABLE, Some("books".into()), false).unwrap_err();
        assert!(
            error.to_string().starts_with("BOOKS_TABLE is set"),
            "{error}"
        );
    }

    /// `from_env` reads the variables, which these tests do not set (they run in parallel, and
    /// the process environment is shared): what `backend` decides for an unset variable.
    #[test]
    fn from_env_without_the_variables_is_the_seeded_memory() {
        if table_name(BOOKS_TABLE).is_none() {
            assert!(matches!(Books::from_env(), Ok(Books::Memory(_))));
        }
        if table_name(USERS_TABLE).is_none() {
            assert!(matches!(Users::from_env(), Ok(Users::Memory(_))));
        }
    }
}
