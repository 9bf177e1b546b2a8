//! Adapters for organizations' seller details, tax rules, VAT checks,
//! invoices and credit notes.

use paygate_contract::proto::v1::{self as pb, *};
use tonic::{Request, Response, Status};

use super::{GrpcApi, convert, traced};
use crate::domain::{
    api_keys::scopes,
    invoices::{CreditNote, DocumentFilters, DocumentKind, Invoice, Party, TaxDocument as Document},
    organizations::OrganizationUpdate,
    page,
    tax_rules::{TaxRule as Rule, TaxRuleInput as RuleInput},
};
use crate::error::CoreError;
use crate::money::Currency;
use crate::tax::Split;
use crate::vat::{VatSource, VatStatus};

fn rule_pb(rule: Rule) -> pb::TaxRule {
    pb::TaxRule {
        id: rule.id,
        livemode: rule.livemode,
        site_id: rule.site_id.unwrap_or_default(),
        country: rule.country,
        region: rule.region.unwrap_or_default(),
        rate_bps: rule.rate_bps,
        name: rule.name,
        valid_from: chrono::DateTime::from_timestamp_micros(rule.valid_from)
            .map(|t| t.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        created_at: Some(convert::timestamp(rule.created_at)),
    }
}

fn rule_input(input: Option<pb::TaxRuleInput>) -> RuleInput {
    let input = input.unwrap_or_default();
    RuleInput {
        site_id: input.site_id,
        country: input.country,
        region: input.region,
        rate_bps: input.rate_bps,
        name: input.name,
        valid_from: input.valid_from,
    }
}

fn split_pb(split: Split) -> pb::AmountSplit {
    pb::AmountSplit { gross: split.gross, net: split.net, tax: split.tax }
}

fn party_pb(party: Party) -> pb::DocumentParty {
    pb::DocumentParty {
        name: party.name,
        email: party.email,
        address: party.address.map(convert::address_pb),
        vat_id: party.vat_id,
        country: party.country,
    }
}

fn document_filters(request: &pb::ListDocumentsRequest) -> DocumentFilters<'_> {
    DocumentFilters {
        site_id: &request.site_id,
        transaction_id: &request.transaction_id,
        customer_id: &request.customer_id,
    }
}

pub(super) fn document_pb(d: Document) -> pb::TaxDocument {
    let currency_exponent = Currency::parse(&d.currency).map_or(2, Currency::exponent);
    pb::TaxDocument {
        currency_exponent,
        customer_id: d.customer_id.unwrap_or_default(),
        kind: match d.kind {
            DocumentKind::Invoice => "invoice",
            DocumentKind::CreditNote => "credit_note",
        }
        .to_owned(),
        id: d.id,
        livemode: d.livemode,
        number: d.number,
        sequence: d.sequence,
        site_id: d.site_id,
        transaction_id: d.transaction_id,
        checkout_id: d.checkout_id,
        issued_at: Some(convert::timestamp(d.issued_at)),
        currency: d.currency,
        seller: Some(party_pb(d.seller)),
        buyer: Some(party_pb(d.buyer)),
        lines: d
            .lines
            .into_iter()
            .map(|l| pb::DocumentLine {
                description: l.description,
                quantity: l.quantity,
                unit_amount: l.unit_amount,
                rate_bps: l.rate_bps,
                amounts: Some(split_pb(l.split)),
            })
            .collect(),
        by_rate: d
            .by_rate
            .into_iter()
            .map(|r| pb::RateTotal { rate_bps: r.rate_bps, amounts: Some(split_pb(r.split)) })
            .collect(),
        total: Some(split_pb(d.total)),
        reverse_charge: d.reverse_charge,
        notes: d.notes,
        invoice_id: d.invoice_id.unwrap_or_default(),
        invoice_number: d.invoice_number.unwrap_or_default(),
        refund_id: d.refund_id.unwrap_or_default(),
        language: d.language.code().to_owned(),
        supplied_at: d.supplied_at.map(convert::timestamp),
        payment_method: d.payment.as_ref().map(|p| p.method.as_str().to_owned()).unwrap_or_default(),
        paid_at: d.payment.map(|p| convert::timestamp(p.at)),
    }
}

#[tonic::async_trait]
impl tax_service_server::TaxService for GrpcApi {
    async fn create_tax_rule(&self, request: Request<TaxRuleInput>) -> Result<Response<pb::TaxRule>, Status> {
        traced("CreateTaxRule", &request, async {
            let principal = self.principal(&request, scopes::SITES_WRITE).await?;
            let rule = self.core.create_tax_rule(&principal, &rule_input(Some(request.get_ref().clone()))).await?;
            Ok(self.audited(&principal, "tax_rule.create", Response::new(rule_pb(rule))).await)
        })
        .await?
    }

    async fn get_tax_rule(&self, request: Request<GetTaxRuleRequest>) -> Result<Response<pb::TaxRule>, Status> {
        traced("GetTaxRule", &request, async {
            let principal = self.principal(&request, scopes::SITES_READ).await?;
            Ok(Response::new(rule_pb(self.core.owned_tax_rule(&principal, &request.get_ref().id).await?)))
        })
        .await?
    }

    async fn list_tax_rules(
        &self,
        request: Request<ListTaxRulesRequest>,
    ) -> Result<Response<ListTaxRulesResponse>, Status> {
        traced("ListTaxRules", &request, async {
            let principal = self.principal(&request, scopes::SITES_READ).await?;
            let body = request.get_ref();
            let requested = body.page.clone().unwrap_or_default();
            let (rules, has_more) = self
                .core
                .list_tax_rules(&principal, &body.country, &page(requested.limit, &requested.starting_after)?)
                .await?;
            Ok(Response::new(ListTaxRulesResponse { data: rules.into_iter().map(rule_pb).collect(), has_more }))
        })
        .await?
    }

    async fn update_tax_rule(&self, request: Request<UpdateTaxRuleRequest>) -> Result<Response<pb::TaxRule>, Status> {
        traced("UpdateTaxRule", &request, async {
            let principal = self.principal(&request, scopes::SITES_WRITE).await?;
            let body = request.get_ref();
            let rule = self.core.update_tax_rule(&principal, &body.id, &rule_input(body.rule.clone())).await?;
            Ok(self.audited(&principal, "tax_rule.update", Response::new(rule_pb(rule))).await)
        })
        .await?
    }

    async fn delete_tax_rule(&self, request: Request<GetTaxRuleRequest>) -> Result<Response<pb::TaxRule>, Status> {
        traced("DeleteTaxRule", &request, async {
            let principal = self.principal(&request, scopes::SITES_WRITE).await?;
            Ok(self
                .audited(
                    &principal,
                    "tax_rule.delete",
                    Response::new(rule_pb(self.core.delete_tax_rule(&principal, &request.get_ref().id).await?)),
                )
                .await)
        })
        .await?
    }

    async fn seed_eu_rates(
        &self,
        request: Request<SeedEuRatesRequest>,
    ) -> Result<Response<ListTaxRulesResponse>, Status> {
        traced("SeedEuRates", &request, async {
            let principal = self.principal(&request, scopes::SITES_WRITE).await?;
            let rules = self.core.seed_eu_rates(&principal).await?;
            Ok(self
                .audited(
                    &principal,
                    "tax_rule.seed_eu",
                    Response::new(ListTaxRulesResponse {
                        data: rules.into_iter().map(rule_pb).collect(),
                        has_more: false,
                    }),
                )
                .await)
        })
        .await?
    }
}

#[tonic::async_trait]
impl vat_service_server::VatService for GrpcApi {
    async fn validate_vat_id(
        &self,
        request: Request<ValidateVatIdRequest>,
    ) -> Result<Response<pb::VatValidation>, Status> {
        traced("ValidateVatId", &request, async {
            let input = &request.get_ref().vat_id;
            if input.trim().is_empty() || input.len() > 64 {
                return Err(CoreError::field("vatId", "vat_id_invalid", "vatId must be 1 to 64 characters").into());
            }
            let v = crate::vat::validate(self.core.vies.as_deref(), input).await;
            Ok(Response::new(pb::VatValidation {
                valid: v.valid,
                status: match v.status {
                    VatStatus::Valid => "valid",
                    VatStatus::Invalid => "invalid",
                    VatStatus::Unverified => "unverified",
                }
                .to_owned(),
                country_code: v.country_code,
                vat_number: v.vat_number,
                name: v.name.unwrap_or_default(),
                address: v.address.unwrap_or_default(),
                checked_at: Some(convert::timestamp(v.checked_at.timestamp_micros())),
                source: match v.source {
                    VatSource::Format => "format",
                    VatSource::Vies => "vies",
                }
                .to_owned(),
                reason: v.reason.unwrap_or_default(),
            }))
        })
        .await?
    }

    async fn get_eu_member(&self, request: Request<GetEuMemberRequest>) -> Result<Response<EuMemberResponse>, Status> {
        traced("GetEuMember", &request, async {
            let code = request.get_ref().country_code.trim().to_ascii_uppercase();
            if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_alphabetic()) {
                return Err(
                    CoreError::field("countryCode", "country_invalid", "countryCode must be two letters").into()
                );
            }
            let member = crate::vat::eu_member(&code);
            if member.is_none() && !crate::money::is_country_code(&code) {
                return Err(
                    CoreError::field("countryCode", "country_invalid", "countryCode is not a country code").into()
                );
            }
            Ok(Response::new(EuMemberResponse {
                country_code: member.map_or(code.clone(), |m| m.country_code.to_owned()),
                eu_member: member.is_some(),
                vat_prefix: member.map(|m| m.vat_prefix.to_owned()).unwrap_or_default(),
            }))
        })
        .await?
    }
}

#[tonic::async_trait]
impl invoice_service_server::InvoiceService for GrpcApi {
    async fn get_invoice(&self, request: Request<GetDocumentRequest>) -> Result<Response<pb::TaxDocument>, Status> {
        traced("GetInvoice", &request, async {
            let principal = self.principal(&request, scopes::TRANSACTIONS_READ).await?;
            let invoice: Invoice = self.core.owned(&principal, &request.get_ref().id).await?;
            Ok(Response::new(document_pb(invoice.0)))
        })
        .await?
    }

    async fn list_invoices(
        &self,
        request: Request<ListDocumentsRequest>,
    ) -> Result<Response<ListDocumentsResponse>, Status> {
        traced("ListInvoices", &request, async {
            let principal = self.principal(&request, scopes::TRANSACTIONS_READ).await?;
            let body = request.get_ref();
            let requested = body.page.clone().unwrap_or_default();
            let (items, has_more) = self
                .core
                .list_documents::<Invoice>(
                    &principal,
                    &document_filters(body),
                    &page(requested.limit, &requested.starting_after)?,
                )
                .await?;
            Ok(Response::new(ListDocumentsResponse {
                data: items.into_iter().map(|d| document_pb(d.0)).collect(),
                has_more,
            }))
        })
        .await?
    }

    async fn get_invoice_pdf(&self, request: Request<GetDocumentRequest>) -> Result<Response<DocumentPdf>, Status> {
        traced("GetInvoicePdf", &request, async {
            let principal = self.principal(&request, scopes::TRANSACTIONS_READ).await?;
            let invoice: Invoice = self.core.owned(&principal, &request.get_ref().id).await?;
            let pdf = self.core.render_pdf(&invoice.0).await?;
            Ok(Response::new(DocumentPdf { number: invoice.0.number, pdf }))
        })
        .await?
    }

    async fn get_credit_note(&self, request: Request<GetDocumentRequest>) -> Result<Response<pb::TaxDocument>, Status> {
        traced("GetCreditNote", &request, async {
            let principal = self.principal(&request, scopes::TRANSACTIONS_READ).await?;
            let note: CreditNote = self.core.owned(&principal, &request.get_ref().id).await?;
            Ok(Response::new(document_pb(note.0)))
        })
        .await?
    }

    async fn list_credit_notes(
        &self,
        request: Request<ListDocumentsRequest>,
    ) -> Result<Response<ListDocumentsResponse>, Status> {
        traced("ListCreditNotes", &request, async {
            let principal = self.principal(&request, scopes::TRANSACTIONS_READ).await?;
            let body = request.get_ref();
            let requested = body.page.clone().unwrap_or_default();
            let (items, has_more) = self
                .core
                .list_documents::<CreditNote>(
                    &principal,
                    &document_filters(body),
                    &page(requested.limit, &requested.starting_after)?,
                )
                .await?;
            Ok(Response::new(ListDocumentsResponse {
                data: items.into_iter().map(|d| document_pb(d.0)).collect(),
                has_more,
            }))
        })
        .await?
    }

    async fn get_credit_note_pdf(&self, request: Request<GetDocumentRequest>) -> Result<Response<DocumentPdf>, Status> {
        traced("GetCreditNotePdf", &request, async {
            let principal = self.principal(&request, scopes::TRANSACTIONS_READ).await?;
            let note: CreditNote = self.core.owned(&principal, &request.get_ref().id).await?;
            let pdf = self.core.render_pdf(&note.0).await?;
            Ok(Response::new(DocumentPdf { number: note.0.number, pdf }))
        })
        .await?
    }
}

impl GrpcApi {
    pub(super) fn organization_update(request: &pb::UpdateOrganizationRequest) -> OrganizationUpdate {
        OrganizationUpdate {
            name: request.name.clone(),
            legal_name: request.legal_name.clone(),
            address: request.address.clone().map(convert::address),
            vat_id: request.vat_id.clone(),
            seller_country: request.seller_country.clone(),
            invoice_prefix: request.invoice_prefix.clone(),
            credit_note_prefix: request.credit_note_prefix.clone(),
            dunning_retry_days: request.dunning_retry_days.as_ref().map(|schedule| schedule.days.clone()),
            email: request.email.clone(),
            phone: request.phone.clone(),
            website: request.website.clone(),
            registration_number: request.registration_number.clone(),
            register_court: request.register_court.clone(),
            require_two_factor: request.require_two_factor,
        }
    }
}
