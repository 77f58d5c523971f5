#![deny(warnings)]

use actix_web::{get, web, App, HttpResponse};
use auth_runtime::{requires, Identity};

mod policies {
    use actix_web::{web, HttpRequest};
    use auth_runtime::{PolicyDecision, Principal};

    /// Only the owner of the path's tenant.
    pub async fn same_tenant(principal: &Principal, req: &HttpRequest) -> PolicyDecision {
        let tenant = req.match_info().get("tenant");
        let claimed = principal.claim("tenant").and_then(|value| value.as_str());
        if tenant.is_some() && tenant == claimed {
            PolicyDecision::Allow
        } else {
            PolicyDecision::Deny("other_tenant")
        }
    }

    /// Extractors after the principal: the path and the application's data.
    pub async fn owner(
        principal: &Principal,
        id: web::Path<u64>,
        owners: web::Data<Vec<String>>,
    ) -> PolicyDecision {
        let owner = owners.get(id.into_inner() as usize);
        if owner.map(String::as_str) == principal.subject() {
            PolicyDecision::Allow
        } else {
            PolicyDecision::Deny("not_owner")
        }
    }

    /// The principal alone.
    pub async fn anyone(_: &Principal) -> PolicyDecision {
        PolicyDecision::Allow
    }

    pub mod nested {
        use actix_web::HttpRequest;
        use auth_runtime::{PolicyDecision, Principal};

        pub async fn weekdays_only(_: &Principal, _: &HttpRequest) -> PolicyDecision {
            PolicyDecision::Allow
        }
    }
}

use policies::same_tenant;

#[get("/tenants/{tenant}")]
#[requires(policy = policies::same_tenant)]
async fn tenant(who: Identity) -> HttpResponse {
    HttpResponse::Ok().body(who.subject().unwrap_or_default().to_owned())
}

#[get("/imported/{tenant}")]
#[requires(policy = same_tenant, scope = "tenants:read")]
async fn imported() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[get("/absolute")]
#[requires(policy = crate::policies::nested::weekdays_only)]
async fn absolute() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[get("/documents/{id}")]
#[requires(policy = policies::owner)]
async fn document(id: web::Path<u64>) -> HttpResponse {
    HttpResponse::Ok().body(id.to_string())
}

#[get("/anyone")]
#[requires(policy = policies::anyone, scope = "read")]
async fn anyone() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {
    let _app = App::new()
        .service(tenant)
        .service(imported)
        .service(absolute)
        .service(document)
        .service(anyone);
}
