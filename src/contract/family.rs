//! Path families (CONTRACT.md section 1): the URL forms under which a call is addressed.

/// A path family under which calls are addressed (CONTRACT.md section 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, strum::EnumIter, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// `/communications/calls/{id}`: canonical.
    Communications,
    /// `/app/calls/{id}`: deprecated.
    App,
    /// `/applications/{appId}/calls/{id}`: the 2018 form.
    Applications,
}

impl Family {
    /// The name used in `CONFORMANCE_PATH_FAMILIES` and `operations.json`.
    pub fn name(self) -> &'static str {
        match self {
            Family::Communications => "communications",
            Family::App => "app",
            Family::Applications => "applications",
        }
    }

    /// Parses a family name as written in `CONFORMANCE_PATH_FAMILIES`.
    pub fn parse(name: &str) -> Option<Family> {
        match name {
            "communications" => Some(Family::Communications),
            "app" => Some(Family::App),
            "applications" => Some(Family::Applications),
            _ => None,
        }
    }

    /// The path of the calls themselves in this family (create call), relative to the target's base URL.
    pub fn collection_path(self, app_id: &str) -> String {
        match self {
            Family::Communications => "/communications/calls".to_string(),
            Family::App => "/app/calls".to_string(),
            Family::Applications => format!("/applications/{app_id}/calls"),
        }
    }

    /// The path of call `id` in this family, relative to the target's base URL.
    pub fn call_path(self, app_id: &str, id: &str) -> String {
        match self {
            Family::Communications => format!("/communications/calls/{id}"),
            Family::App => format!("/app/calls/{id}"),
            Family::Applications => format!("/applications/{app_id}/calls/{id}"),
        }
    }
}
