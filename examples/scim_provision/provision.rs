//! The SCIM provisioning walk-through shared by `scim_provision` and the quickstart:
//! include it with `#[path = "scim_provision/provision.rs"] mod provision;` and call
//! `provision::provision(&scim).await`.

use scimkit::scim::{Filter, Group, MultiValued, Name, Patch, ScimClient, User};
use scimkit::{Error, Result};

/// Creates a user and a group, adds the user to the group, lists users with a filter and
/// deactivates the user with PATCH, printing each step.
pub async fn provision(scim: &ScimClient) -> Result<()> {
    let suffix = fastrand::u32(..);
    let user_name = format!("scimkit-demo-{suffix}@example.com");
    let user = User::new(&user_name)
        .display_name("scimkit demo")
        .name(Name::new("Demo", "User"))
        .email(MultiValued::new(&user_name).kind("work").primary(true))
        .active(true);
    let user = scim.users().create(&user).await?;
    let user_id = user
        .id
        .clone()
        .ok_or_else(|| Error::Config("the server returned no user id".into()))?;
    println!("1. created user {user_name} (id {user_id})");

    let group = scim
        .groups()
        .create(&Group::new(format!("scimkit-demo-group-{suffix}")))
        .await?;
    let group_id = group
        .id
        .clone()
        .ok_or_else(|| Error::Config("the server returned no group id".into()))?;
    println!("2. created group {} (id {group_id})", group.display_name);

    scim.groups()
        .add_members(&group_id, [user_id.as_str()])
        .await?;
    println!("3. added the user to the group");

    let page = scim
        .users()
        .list()
        .filter(Filter::attr("userName").eq(user_name.as_str()))
        .send()
        .await?;
    println!(
        "4. listed users with userName eq {user_name:?}: {} found ({:?})",
        page.total_results.unwrap_or(page.resources.len() as u64),
        page.resources
            .iter()
            .map(|u| u.user_name.as_str())
            .collect::<Vec<_>>()
    );

    scim.users()
        .patch(&user_id, &Patch::new().replace("active", false))
        .await?;
    let after = scim.users().get(&user_id).await?;
    println!(
        "5. deactivated the user with PATCH: active = {:?}",
        after.active
    );
    Ok(())
}
