use actix_web::HttpResponse;
use auth_runtime::requires;

struct Items;

impl Items {
    #[requires(scope = "items:read")]
    async fn list(&self) -> HttpResponse {
        HttpResponse::Ok().finish()
    }
}

fn main() {
    let _ = Items::list;
}
