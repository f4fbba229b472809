from django.db import migrations

# The audit trail stays append-only, with one more exception: erasing a person
# (accounts.privacy.account_erase) blanks the personal text of the events about them. It sets
# the transaction-local setting `accounts.audit_erasure` to 'on' for that, and even then only
# actor_label, target_repr, changes and ip_address may change; deletes stay refused.
FORWARD = """
CREATE OR REPLACE FUNCTION accounts_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit events are append-only: delete refused'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF (NEW.actor_id IS NOT NULL AND NEW.actor_id IS DISTINCT FROM OLD.actor_id)
       OR (NEW.company_id IS NOT NULL AND NEW.company_id IS DISTINCT FROM OLD.company_id) THEN
        RAISE EXCEPTION 'audit events are append-only: update refused'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF coalesce(current_setting('accounts.audit_erasure', true), '') = 'on' THEN
        IF (to_jsonb(NEW) - 'actor_id' - 'company_id' - 'actor_label' - 'target_repr'
                - 'changes' - 'ip_address') IS DISTINCT FROM
           (to_jsonb(OLD) - 'actor_id' - 'company_id' - 'actor_label' - 'target_repr'
                - 'changes' - 'ip_address') THEN
            RAISE EXCEPTION 'audit events are append-only: an erasure changes personal text only'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END IF;
    IF (to_jsonb(NEW) - 'actor_id' - 'company_id') IS DISTINCT FROM
       (to_jsonb(OLD) - 'actor_id' - 'company_id') THEN
        RAISE EXCEPTION 'audit events are append-only: update refused'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
"""

# The function of 0002_audit_event_append_only.
BACKWARD = """
CREATE OR REPLACE FUNCTION accounts_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit events are append-only: delete refused'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF (to_jsonb(NEW) - 'actor_id' - 'company_id') IS DISTINCT FROM
       (to_jsonb(OLD) - 'actor_id' - 'company_id')
       OR (NEW.actor_id IS NOT NULL AND NEW.actor_id IS DISTINCT FROM OLD.actor_id)
       OR (NEW.company_id IS NOT NULL AND NEW.company_id IS DISTINCT FROM OLD.company_id) THEN
        RAISE EXCEPTION 'audit events are append-only: update refused'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
"""


class Migration(migrations.Migration):
    dependencies = [("accounts", "0009_install_push_beat_schedule")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
