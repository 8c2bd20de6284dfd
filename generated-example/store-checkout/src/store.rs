//! The state the checkout functions read and write, behind small traits: books ([`BookStore`]),
//! users ([`UserStore`]) and couriers ([`CourierPool`]).
//!
//! The original Node functions kept books and users in DynamoDB tables keyed by `bookId` and
//! `userId`; the in-memory implementations here ([`InMemoryBooks`], [`InMemoryUsers`],
//! [`InMemoryCouriers`]) start from the seed data of `definitions/store-checkout/examples/README.md`.
//! They are cheap to clone and clones share their data, so one store can back several handlers
//! (as one table backs several Lambda functions).
//!
//! Every operation that reads and then writes (reserving stock, redeeming points) is one trait
//! method, so an implementation can make it atomic (a lock here, a conditional update in
//! DynamoDB) and two concurrent executions cannot both spend the same copies or points.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

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
    /// A stock count would overflow; nothing was changed.
    #[error("the stock of book {0:?} would overflow")]
    StockOverflow(String),
    /// A writer panicked while holding the store's lock, so its data may be half-updated.
    #[error("the {0} store is unavailable: a writer panicked while holding its lock")]
    Poisoned(&'static str),
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
            Self::Poisoned(_) => "StoreUnavailable",
        }
    }
}

/// The books table.
pub trait BookStore: Send + Sync + 'static {
    /// The book with this id, if any.
    fn book(&self, book_id: &str) -> impl Future<Output = Result<Option<Book>, StoreError>> + Send;

    /// Takes `quantity` copies out of stock, atomically, and returns the stock left.
    ///
    /// `reservation_id` makes the call idempotent: a second call with the same id changes
    /// nothing and returns the current stock (SQS delivers a message at least once, and
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

    /// Adds `quantity` copies back to stock and returns the new stock.
    ///
    /// # Errors
    ///
    /// [`StoreError::BookNotFound`], or [`StoreError::StockOverflow`] (stock unchanged).
    fn restock(
        &self,
        book_id: &str,
        quantity: u64,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
}

/// The users table.
pub trait UserStore: Send + Sync + 'static {
    /// The user with this id, if any.
    fn user(&self, user_id: &str) -> impl Future<Output = Result<Option<User>, StoreError>> + Send;

    /// If the user's points are below `limit`, sets them to 0 and returns
    /// [`Redemption::Redeemed`] with the points taken; otherwise leaves them and returns
    /// [`Redemption::Refused`]. Atomic: points are never redeemed twice.
    ///
    /// # Errors
    ///
    /// [`StoreError::UserNotFound`].
    fn redeem_points_below(
        &self,
        user_id: &str,
        limit: f64,
    ) -> impl Future<Output = Result<Redemption, StoreError>> + Send;

    /// Adds `points` to the user's points and returns the new balance.
    ///
    /// # Errors
    ///
    /// [`StoreError::UserNotFound`].
    fn add_points(
        &self,
        user_id: &str,
        points: f64,
    ) -> impl Future<Output = Result<f64, StoreError>> + Send;
}

/// The couriers on duty.
pub trait CourierPool: Send + Sync + 'static {
    /// A courier who can take an order of `quantity` copies, or `None` when nobody can.
    fn assign(
        &self,
        quantity: u64,
    ) -> impl Future<Output = Result<Option<Courier>, StoreError>> + Send;
}

/// Locks `mutex`, or reports the store as unavailable when a writer panicked while holding it:
/// a half-applied update must not be served as if it were consistent.
fn lock<'a, T>(mutex: &'a Mutex<T>, store: &'static str) -> Result<MutexGuard<'a, T>, StoreError> {
    mutex.lock().map_err(|_| StoreError::Poisoned(store))
}

/// Panics while holding `mutex`, leaving it poisoned (for the tests of the poisoned path).
#[cfg(test)]
fn poison<T: Send + 'static>(mutex: Arc<Mutex<T>>) {
    let _ = std::thread::spawn(move || {
        let _guard = mutex.lock();
        panic!("poisoning the store on purpose");
    })
    .join();
}

#[derive(Debug, Default)]
struct BooksData {
    books: HashMap<String, Book>,
    /// Reservation ids already applied.
    reservations: HashSet<String>,
}

/// An in-memory [`BookStore`]; clones share the same books.
#[derive(Debug, Clone, Default)]
pub struct InMemoryBooks {
    data: Arc<Mutex<BooksData>>,
}

impl InMemoryBooks {
    /// A store holding these books.
    pub fn new(books: impl IntoIterator<Item = Book>) -> Self {
        let books = books
            .into_iter()
            .map(|book| (book.book_id.clone(), book))
            .collect();
        Self {
            data: Arc::new(Mutex::new(BooksData {
                books,
                reservations: HashSet::new(),
            })),
        }
    }

    /// The seed data: book "100" (10 in stock at 39.5) and "101" (20 at 45.25).
    pub fn seeded() -> Self {
        Self::new([
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
        ])
    }

    fn lock(&self) -> Result<MutexGuard<'_, BooksData>, StoreError> {
        lock(&self.data, "books")
    }

    #[cfg(test)]
    pub(crate) fn poison(&self) {
        poison(Arc::clone(&self.data));
    }
}

impl BookStore for InMemoryBooks {
    async fn book(&self, book_id: &str) -> Result<Option<Book>, StoreError> {
        Ok(self.lock()?.books.get(book_id).cloned())
    }

    async fn reserve(
        &self,
        reservation_id: &str,
        book_id: &str,
        quantity: u64,
    ) -> Result<u64, StoreError> {
        let mut data = self.lock()?;
        let BooksData {
            books,
            reservations,
        } = &mut *data;
        let book = books
            .get_mut(book_id)
            .ok_or_else(|| StoreError::BookNotFound(book_id.to_owned()))?;
        if reservations.contains(reservation_id) {
            return Ok(book.quantity);
        }
        book.quantity =
            book.quantity
                .checked_sub(quantity)
                .ok_or_else(|| StoreError::InsufficientStock {
                    book_id: book_id.to_owned(),
                    available: book.quantity,
                    requested: quantity,
                })?;
        reservations.insert(reservation_id.to_owned());
        Ok(book.quantity)
    }

    async fn restock(&self, book_id: &str, quantity: u64) -> Result<u64, StoreError> {
        let mut data = self.lock()?;
        let book = data
            .books
            .get_mut(book_id)
            .ok_or_else(|| StoreError::BookNotFound(book_id.to_owned()))?;
        book.quantity = book
            .quantity
            .checked_add(quantity)
            .ok_or_else(|| StoreError::StockOverflow(book_id.to_owned()))?;
        Ok(book.quantity)
    }
}

/// An in-memory [`UserStore`]; clones share the same users.
#[derive(Debug, Clone, Default)]
pub struct InMemoryUsers {
    users: Arc<Mutex<HashMap<String, User>>>,
}

impl InMemoryUsers {
    /// A store holding these users.
    pub fn new(users: impl IntoIterator<Item = User>) -> Self {
        let users = users
            .into_iter()
            .map(|user| (user.user_id.clone(), user))
            .collect();
        Self {
            users: Arc::new(Mutex::new(users)),
        }
    }

    /// The seed data: user "1" (20 points), "2" (500 points), "3" (10 points, no payment method).
    pub fn seeded() -> Self {
        let user = |id: &str, points: f64, has_payment_method: bool| User {
            user_id: id.to_owned(),
            points,
            has_payment_method,
        };
        Self::new([
            user("1", 20.0, true),
            user("2", 500.0, true),
            user("3", 10.0, false),
        ])
    }

    fn lock(&self) -> Result<MutexGuard<'_, HashMap<String, User>>, StoreError> {
        lock(&self.users, "users")
    }

    #[cfg(test)]
    pub(crate) fn poison(&self) {
        poison(Arc::clone(&self.users));
    }
}

impl UserStore for InMemoryUsers {
    async fn user(&self, user_id: &str) -> Result<Option<User>, StoreError> {
        Ok(self.lock()?.get(user_id).cloned())
    }

    async fn redeem_points_below(
        &self,
        user_id: &str,
        limit: f64,
    ) -> Result<Redemption, StoreError> {
        let mut users = self.lock()?;
        let user = users
            .get_mut(user_id)
            .ok_or_else(|| StoreError::UserNotFound(user_id.to_owned()))?;
        if user.points < limit {
            Ok(Redemption::Redeemed(std::mem::replace(
                &mut user.points,
                0.0,
            )))
        } else {
            Ok(Redemption::Refused(user.points))
        }
    }

    async fn add_points(&self, user_id: &str, points: f64) -> Result<f64, StoreError> {
        let mut users = self.lock()?;
        let user = users
            .get_mut(user_id)
            .ok_or_else(|| StoreError::UserNotFound(user_id.to_owned()))?;
        user.points += points;
        Ok(user.points)
    }
}

/// A fixed, in-memory [`CourierPool`]: the first courier who takes that many copies is assigned.
/// Couriers are never busy (the Node demo assigned the same courier to every order).
#[derive(Debug, Clone, Default)]
pub struct InMemoryCouriers {
    couriers: Arc<[Courier]>,
}

impl InMemoryCouriers {
    /// A pool of these couriers, tried in order.
    pub fn new(couriers: impl IntoIterator<Item = Courier>) -> Self {
        Self {
            couriers: couriers.into_iter().collect(),
        }
    }

    /// The seed data: `courier@example.com`, who takes at most 5 copies per order.
    pub fn seeded() -> Self {
        Self::new([Courier {
            email: "courier@example.com".into(),
            max_copies: 5,
        }])
    }
}

impl CourierPool for InMemoryCouriers {
    async fn assign(&self, quantity: u64) -> Result<Option<Courier>, StoreError> {
        Ok(self
            .couriers
            .iter()
            .find(|courier| courier.max_copies >= quantity)
            .cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn seeded_books_match_the_examples() {
        let books = InMemoryBooks::seeded();
        let book = books.book("100").await.unwrap().unwrap();
        assert_eq!((book.quantity, book.price), (10, 39.5));
        assert_eq!(books.book("101").await.unwrap().unwrap().price, 45.25);
        assert_eq!(books.book("999").await.unwrap(), None);
    }

    #[tokio::test]
    async fn clones_share_their_data() {
        let books = InMemoryBooks::seeded();
        books.clone().reserve("r-1", "100", 3).await.unwrap();
        assert_eq!(books.book("100").await.unwrap().unwrap().quantity, 7);
    }

    #[tokio::test]
    async fn reserve_is_idempotent_per_reservation_id() {
        let books = InMemoryBooks::seeded();
        assert_eq!(books.reserve("token-1", "100", 2).await, Ok(8));
        assert_eq!(books.reserve("token-1", "100", 2).await, Ok(8));
        assert_eq!(books.reserve("token-2", "100", 2).await, Ok(6));
    }

    #[tokio::test]
    async fn reserve_never_takes_more_than_the_stock() {
        let books = InMemoryBooks::seeded();
        let err = books.reserve("r", "100", 11).await.unwrap_err();
        assert_eq!(
            err,
            StoreError::InsufficientStock {
                book_id: "100".into(),
                available: 10,
                requested: 11
            }
        );
        assert_eq!(err.error_type(), "BookOutOfStock");
        assert_eq!(books.book("100").await.unwrap().unwrap().quantity, 10);
        // A failed reservation does not burn its id.
        assert_eq!(books.reserve("r", "100", 10).await, Ok(0));
    }

    #[tokio::test]
    async fn restock_overflow_changes_nothing() {
        let books = InMemoryBooks::seeded();
        let err = books.restock("100", u64::MAX).await.unwrap_err();
        assert_eq!(err, StoreError::StockOverflow("100".into()));
        assert_eq!(books.book("100").await.unwrap().unwrap().quantity, 10);
    }

    #[tokio::test]
    async fn redeem_points_below_takes_all_points_or_none() {
        let users = InMemoryUsers::seeded();
        assert_eq!(
            users.redeem_points_below("2", 79.0).await,
            Ok(Redemption::Refused(500.0))
        );
        assert_eq!(users.user("2").await.unwrap().unwrap().points, 500.0);
        assert_eq!(
            users.redeem_points_below("1", 79.0).await,
            Ok(Redemption::Redeemed(20.0))
        );
        assert_eq!(users.user("1").await.unwrap().unwrap().points, 0.0);
        // Equal is not below.
        assert_eq!(
            users.redeem_points_below("3", 10.0).await,
            Ok(Redemption::Refused(10.0))
        );
    }

    #[tokio::test]
    async fn couriers_take_at_most_five_copies() {
        let couriers = InMemoryCouriers::seeded();
        let courier = couriers.assign(5).await.unwrap().unwrap();
        assert_eq!(courier.email, "courier@example.com");
        assert_eq!(couriers.assign(6).await, Ok(None));
    }

    #[tokio::test]
    async fn a_poisoned_store_is_unavailable_rather_than_a_panic() {
        let books = InMemoryBooks::seeded();
        books.poison();
        let err = books.book("100").await.unwrap_err();
        assert_eq!(err, StoreError::Poisoned("books"));
        assert_eq!(err.error_type(), "StoreUnavailable");

        let users = InMemoryUsers::seeded();
        users.poison();
        assert_eq!(
            users.add_points("1", 1.0).await,
            Err(StoreError::Poisoned("users"))
        );
    }
}
