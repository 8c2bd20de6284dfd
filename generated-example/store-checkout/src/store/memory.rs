//! The in-memory stores: one lock per store makes every read-then-write atomic.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use super::{
    Book, BookStore, Courier, CourierPool, Redemption, Release, Restoration, StoreError, User,
    UserStore, sample_books, sample_users,
};

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

/// A book and what was done to its stock, per reservation id: the same records as the books
/// table's `reserved` and `released` attributes (see `dynamodb`).
#[derive(Debug)]
struct BookRecord {
    book: Book,
    /// The copies each reservation id took.
    reserved: HashMap<String, u64>,
    /// Reservation ids whose copies were put back.
    released: HashSet<String>,
}

/// An in-memory [`BookStore`]; clones share the same books.
#[derive(Debug, Clone, Default)]
pub struct InMemoryBooks {
    data: Arc<Mutex<HashMap<String, BookRecord>>>,
}

impl InMemoryBooks {
    /// A store holding these books.
    pub fn new(books: impl IntoIterator<Item = Book>) -> Self {
        let books = books
            .into_iter()
            .map(|book| {
                let record = BookRecord {
                    book: book.clone(),
                    reserved: HashMap::new(),
                    released: HashSet::new(),
                };
                (book.book_id, record)
            })
            .collect();
        Self {
            data: Arc::new(Mutex::new(books)),
        }
    }

    /// The seed data ([`sample_books`]): book "100" (10 in stock at 39.5) and "101" (20 at
    /// 45.25).
    pub fn seeded() -> Self {
        Self::new(sample_books())
    }

    fn lock(&self) -> Result<MutexGuard<'_, HashMap<String, BookRecord>>, StoreError> {
        lock(&self.data, "books")
    }

    #[cfg(test)]
    pub(crate) fn poison(&self) {
        poison(Arc::clone(&self.data));
    }
}

impl BookStore for InMemoryBooks {
    async fn book(&self, book_id: &str) -> Result<Option<Book>, StoreError> {
        Ok(self.lock()?.get(book_id).map(|record| record.book.clone()))
    }

    async fn reserve(
        &self,
        reservation_id: &str,
        book_id: &str,
        quantity: u64,
    ) -> Result<u64, StoreError> {
        let mut books = self.lock()?;
        let record = books
            .get_mut(book_id)
            .ok_or_else(|| StoreError::BookNotFound(book_id.to_owned()))?;
        if record.reserved.contains_key(reservation_id) {
            return Ok(record.book.quantity);
        }
        let stock = &mut record.book.quantity;
        *stock = stock
            .checked_sub(quantity)
            .ok_or_else(|| StoreError::InsufficientStock {
                book_id: book_id.to_owned(),
                available: *stock,
                requested: quantity,
            })?;
        record.reserved.insert(reservation_id.to_owned(), quantity);
        Ok(*stock)
    }

    async fn release_reservation(
        &self,
        reservation_id: &str,
        book_id: &str,
    ) -> Result<Release, StoreError> {
        let mut books = self.lock()?;
        let record = books
            .get_mut(book_id)
            .ok_or_else(|| StoreError::BookNotFound(book_id.to_owned()))?;
        let Some(&quantity) = record.reserved.get(reservation_id) else {
            return Ok(Release::NothingReserved);
        };
        if record.released.contains(reservation_id) {
            return Ok(Release::AlreadyReleased(quantity));
        }
        record.book.quantity = record
            .book
            .quantity
            .checked_add(quantity)
            .ok_or_else(|| StoreError::StockOverflow(book_id.to_owned()))?;
        record.released.insert(reservation_id.to_owned());
        Ok(Release::Released(quantity))
    }
}

/// A user and what was done to its points, per redemption id: the same records as the users
/// table's `redemptions` and `restorations` attributes (see `dynamodb`).
#[derive(Debug)]
struct UserRecord {
    user: User,
    /// What each redemption id's first call returned.
    redemptions: HashMap<String, Redemption>,
    /// Redemption ids whose points were given back.
    restorations: HashSet<String>,
}

/// An in-memory [`UserStore`]; clones share the same users.
#[derive(Debug, Clone, Default)]
pub struct InMemoryUsers {
    users: Arc<Mutex<HashMap<String, UserRecord>>>,
}

impl InMemoryUsers {
    /// A store holding these users.
    pub fn new(users: impl IntoIterator<Item = User>) -> Self {
        let users = users
            .into_iter()
            .map(|user| {
                let record = UserRecord {
                    user: user.clone(),
                    redemptions: HashMap::new(),
                    restorations: HashSet::new(),
                };
                (user.user_id, record)
            })
            .collect();
        Self {
            users: Arc::new(Mutex::new(users)),
        }
    }

    /// The seed data ([`sample_users`]): user "1" (20 points), "2" (500 points), "3" (10
    /// points, no payment method).
    pub fn seeded() -> Self {
        Self::new(sample_users())
    }

    fn lock(&self) -> Result<MutexGuard<'_, HashMap<String, UserRecord>>, StoreError> {
        lock(&self.users, "users")
    }

    #[cfg(test)]
    pub(crate) fn poison(&self) {
        poison(Arc::clone(&self.users));
    }
}

impl UserStore for InMemoryUsers {
    async fn user(&self, user_id: &str) -> Result<Option<User>, StoreError> {
        Ok(self.lock()?.get(user_id).map(|record| record.user.clone()))
    }

    async fn redeem_points_below(
        &self,
        redemption_id: &str,
        user_id: &str,
        limit: f64,
    ) -> Result<Redemption, StoreError> {
        let mut users = self.lock()?;
        let record = users
            .get_mut(user_id)
            .ok_or_else(|| StoreError::UserNotFound(user_id.to_owned()))?;
        if let Some(first) = record.redemptions.get(redemption_id) {
            return Ok(*first);
        }
        let points = &mut record.user.points;
        let redemption = if *points < limit {
            Redemption::Redeemed(std::mem::replace(points, 0.0))
        } else {
            Redemption::Refused(*points)
        };
        record
            .redemptions
            .insert(redemption_id.to_owned(), redemption);
        Ok(redemption)
    }

    async fn restore_redeemed_points(
        &self,
        redemption_id: &str,
        user_id: &str,
    ) -> Result<Restoration, StoreError> {
        let mut users = self.lock()?;
        let record = users
            .get_mut(user_id)
            .ok_or_else(|| StoreError::UserNotFound(user_id.to_owned()))?;
        let Some(Redemption::Redeemed(points)) = record.redemptions.get(redemption_id).copied()
        else {
            return Ok(Restoration::NothingRedeemed);
        };
        if !record.restorations.insert(redemption_id.to_owned()) {
            return Ok(Restoration::AlreadyRestored(points));
        }
        record.user.points += points;
        Ok(Restoration::Restored(points))
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
    async fn a_release_gives_back_the_reservation_once() {
        let books = InMemoryBooks::seeded();
        assert_eq!(books.reserve("x-1", "101", 6).await, Ok(14));
        assert_eq!(
            books.release_reservation("x-1", "101").await,
            Ok(Release::Released(6))
        );
        assert_eq!(
            books.release_reservation("x-1", "101").await,
            Ok(Release::AlreadyReleased(6))
        );
        // A reservation of another book under the id is that book's.
        assert_eq!(
            books.release_reservation("x-1", "100").await,
            Ok(Release::NothingReserved)
        );
        assert_eq!(books.book("101").await.unwrap().unwrap().quantity, 20);
        assert_eq!(books.book("100").await.unwrap().unwrap().quantity, 10);
    }

    #[tokio::test]
    async fn a_release_that_would_overflow_changes_nothing() {
        let books = InMemoryBooks::seeded();
        books.reserve("x-1", "100", 4).await.unwrap();
        // The stock grew since the reservation (only a test can do that in memory).
        books.lock().unwrap().get_mut("100").unwrap().book.quantity = u64::MAX - 3;
        let err = books.release_reservation("x-1", "100").await.unwrap_err();
        assert_eq!(err, StoreError::StockOverflow("100".into()));
        assert_eq!(err.error_type(), "StockOverflow");
        assert_eq!(
            books.book("100").await.unwrap().unwrap().quantity,
            u64::MAX - 3
        );
        // Not recorded as released: once the stock allows it, the copies go back.
        books.lock().unwrap().get_mut("100").unwrap().book.quantity = 6;
        assert_eq!(
            books.release_reservation("x-1", "100").await,
            Ok(Release::Released(4))
        );
        assert_eq!(books.book("100").await.unwrap().unwrap().quantity, 10);
    }

    #[tokio::test]
    async fn redeem_points_below_takes_all_points_or_none() {
        let users = InMemoryUsers::seeded();
        assert_eq!(
            users.redeem_points_below("x-1", "2", 79.0).await,
            Ok(Redemption::Refused(500.0))
        );
        assert_eq!(users.user("2").await.unwrap().unwrap().points, 500.0);
        assert_eq!(
            users.redeem_points_below("x-2", "1", 79.0).await,
            Ok(Redemption::Redeemed(20.0))
        );
        assert_eq!(users.user("1").await.unwrap().unwrap().points, 0.0);
        // Equal is not below.
        assert_eq!(
            users.redeem_points_below("x-3", "3", 10.0).await,
            Ok(Redemption::Refused(10.0))
        );
    }

    #[tokio::test]
    async fn redemption_and_restoration_are_once_per_id() {
        let users = InMemoryUsers::seeded();
        assert_eq!(
            users.redeem_points_below("x-1", "1", 79.0).await,
            Ok(Redemption::Redeemed(20.0))
        );
        assert_eq!(
            users.restore_redeemed_points("x-1", "1").await,
            Ok(Restoration::Restored(20.0))
        );
        // The retry answers as the first call did, though the user has 20 points again by now.
        assert_eq!(
            users.redeem_points_below("x-1", "1", 79.0).await,
            Ok(Redemption::Redeemed(20.0))
        );
        assert_eq!(
            users.restore_redeemed_points("x-1", "1").await,
            Ok(Restoration::AlreadyRestored(20.0))
        );
        assert_eq!(users.user("1").await.unwrap().unwrap().points, 20.0);
    }

    #[tokio::test]
    async fn only_a_recorded_redemption_is_restored() {
        let users = InMemoryUsers::seeded();
        // Never redeemed under this id: nothing to give back.
        assert_eq!(
            users.restore_redeemed_points("x-1", "1").await,
            Ok(Restoration::NothingRedeemed)
        );
        // Refused: nothing was taken.
        users.redeem_points_below("x-2", "2", 79.0).await.unwrap();
        assert_eq!(
            users.restore_redeemed_points("x-2", "2").await,
            Ok(Restoration::NothingRedeemed)
        );
        assert_eq!(users.user("1").await.unwrap().unwrap().points, 20.0);
        assert_eq!(users.user("2").await.unwrap().unwrap().points, 500.0);
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
            users.restore_redeemed_points("x-1", "1").await,
            Err(StoreError::Poisoned("users"))
        );
    }
}
