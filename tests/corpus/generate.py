#!/usr/bin/env python3
# Generates the validator conformance corpus: tests/corpus/{valid,invalid}/*.json and
# expectations.tsv (file, severity, rule, JSON pointer). Edit the cases here, then run
#   python3 tests/corpus/generate.py
# Each invalid case must produce its finding; each valid/ case must have no errors.
import json, os, copy
root=os.path.dirname(os.path.abspath(__file__))
os.makedirs(root+'/invalid', exist_ok=True); os.makedirs(root+'/valid', exist_ok=True)
IND={"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
 "created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","name":"Bad IP",
 "indicator_types":["malicious-activity"],
 "pattern":"[ipv4-addr:value = '198.51.100.1']","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z"}
def ind(**kw):
    d=copy.deepcopy(IND)
    for k,v in kw.items():
        if v is None: d.pop(k,None)
        else: d[k]=v
    return d
def sdo(t, extra, uuid="0a0b0c0d-1e2f-4a5b-8c6d-7e8f90a1b2c3"):
    d={"type":t,"spec_version":"2.1","id":f"{t}--{uuid}","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z"}
    d.update(extra); return d
def sco(t, extra, uuid="5a0b0c0d-1e2f-5a5b-8c6d-7e8f90a1b2c3"):
    d={"type":t,"spec_version":"2.1","id":f"{t}--{uuid}"}
    d.update(extra); return d
def bundle(*objs, **kw):
    b={"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":list(objs)}
    b.update(kw); return b
cases=[]  # (name, severity, rule, pointer, content (obj or raw str))
E,W='error','warning'
def c(name, rule, pointer, content, sev=E): cases.append((name,sev,rule,pointer,content))
# JSON level
c('truncated','json-syntax','', '{"type": "indicator", "spec_version": "2')
c('trailing-comma','json-syntax','', '{"type": "indicator", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",}')
c('invalid-utf8','utf8','', b'{"type":"identity","name":"\xc3\x28"}')
c('deep-nesting','json-depth','', '{"type":"x-deep","x_a":' + '['*1100 + ']'*1100 + '}')
c('huge-number','json-number','', '{"type":"identity","spec_version":"2.1","id":"identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","name":"A","x_big":1e999}')
c('not-an-object','json-object','/objects/0', bundle(42))
c('duplicate-key','duplicate-key','/name', '{"type":"identity","spec_version":"2.1","id":"identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","name":"A","name":"B"}')
c('missing-type','required-property','/type', {"id":"identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"})
# required / types
c('indicator-missing-pattern','required-property','/pattern', ind(pattern=None))
c('indicator-missing-valid-from','required-property','/valid_from', ind(valid_from=None))
c('sdo-missing-spec-version','required-property','/spec_version', ind(spec_version=None))
c('sdo-missing-created','required-property','/created', ind(created=None))
c('name-not-string','property-type','/name', ind(name=7))
c('revoked-not-boolean','property-type','/revoked', ind(revoked="yes"))
c('labels-not-list','property-type','/labels', ind(labels="x"))
c('type-format','type-format','/type', sdo('Bad_Type',{}).__setitem__('id','bad-type--0a0b0c0d-1e2f-4a5b-8c6d-7e8f90a1b2c3') or {"type":"Bad_Type","spec_version":"2.1","id":"Bad_Type--0a0b0c0d-1e2f-4a5b-8c6d-7e8f90a1b2c3","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z"})
c('bundle-in-bundle','bundle-nested','/objects/0', bundle(bundle()))
# ids
c('id-no-separator','id-format','/id', ind(id="indicator-8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"))
c('id-wrong-prefix','id-format','/id', ind(id="malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"))
c('id-bad-uuid','id-format','/id', ind(id="indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3"))
c('id-uuid-v1','id-uuid-version','/id', ind(id="indicator--8e2e2d2b-17d4-1cbf-938f-98ee46b3cd3f"), W)
c('spec-version-wrong','spec-version','/spec_version', ind(spec_version="2.2"))
c('object-spec-version-2.0','stix-2.0','/spec_version', ind(spec_version="2.0"))
c('bundle-stix-2.0','stix-2.0','/spec_version', bundle({"type":"identity","id":"identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","name":"A","identity_class":"organization"}, spec_version="2.0"))
c('reserved-property','reserved-property','/severity', ind(severity="high"))
c('null-value','null-value','/description', ind(description=None) | {"description": None} if False else json.loads(json.dumps(ind()).replace('"name": "Bad IP"','"name": "Bad IP", "description": null')))
c('custom-property-name','custom-property-name','/x_Bad-Name', ind(**{"x_Bad-Name":"v"}))
c('custom-bin','binary-format','/x_payload_bin', ind(x_payload_bin="not base64!"))
c('custom-hex','hex-format','/x_magic_hex', ind(x_magic_hex="abc"))
c('empty-list','empty-list','/labels', ind(labels=[]))
c('empty-object','empty-object','', sco('process',{}, uuid="2a0b0c0d-1e2f-4a5b-8c6d-7e8f90a1b2c3"))
# timestamps
c('timestamp-format','timestamp-format','/valid_from', ind(valid_from="2016-01-01 00:00:00Z"))
c('timestamp-no-z','timestamp-format','/valid_from', ind(valid_from="2016-01-01T00:00:00+00:00"))
c('timestamp-bad-day','timestamp-format','/valid_from', ind(valid_from="2016-02-30T00:00:00Z"))
c('created-precision','timestamp-precision','/created', ind(created="2016-04-06T20:03:48Z"))
c('modified-before-created','modified-before-created','/modified', ind(modified="2016-04-05T20:03:48.000Z"))
c('valid-until-before-from','timestamp-order','/valid_until', ind(valid_until="2015-01-01T00:00:00Z"))
c('last-seen-before-first','timestamp-order','/last_seen', sdo('campaign',{"name":"C","first_seen":"2020-02-01T00:00:00Z","last_seen":"2020-01-01T00:00:00Z"}))
c('stop-before-start','timestamp-order','/stop_time', sdo('relationship',{"relationship_type":"uses","source_ref":"malware--0a0b0c0d-1e2f-4a5b-8c6d-7e8f90a1b2c3","target_ref":"attack-pattern--0a0b0c0d-1e2f-4a5b-8c6d-7e8f90a1b2c3","start_time":"2020-02-01T00:00:00Z","stop_time":"2020-01-01T00:00:00Z"}))
c('observed-last-before-first','timestamp-order','/last_observed', sdo('observed-data',{"first_observed":"2020-02-01T00:00:00Z","last_observed":"2020-01-01T00:00:00Z","number_observed":1,"object_refs":["ipv4-addr--5a0b0c0d-1e2f-5a5b-8c6d-7e8f90a1b2c3"]}))
# references
c('reference-format','reference-format','/created_by_ref', ind(created_by_ref="identity-8e2e2d2b"))
c('created-by-not-identity','reference-type','/created_by_ref', ind(created_by_ref="malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"))
c('marking-ref-wrong-type','reference-type','/object_marking_refs/0', ind(object_marking_refs=["identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"]))
c('relationship-to-sighting','reference-type','/target_ref', sdo('relationship',{"relationship_type":"related-to","source_ref":"malware--0a0b0c0d-1e2f-4a5b-8c6d-7e8f90a1b2c3","target_ref":"sighting--0a0b0c0d-1e2f-4a5b-8c6d-7e8f90a1b2c3"}))
c('sighting-where-sighted-wrong','reference-type','/where_sighted_refs/0', sdo('sighting',{"sighting_of_ref":"indicator--0a0b0c0d-1e2f-4a5b-8c6d-7e8f90a1b2c3","where_sighted_refs":["malware--0a0b0c0d-1e2f-4a5b-8c6d-7e8f90a1b2c3"]}))
c('sco-ref-wrong-type','reference-type','/resolves_to_refs/0', sco('domain-name',{"value":"example.com","resolves_to_refs":["file--5a0b0c0d-1e2f-5a5b-8c6d-7e8f90a1b2c3"]}, uuid="bedb4899-d24b-5401-bc86-8f6b4cc18ec7"))
# vocab / enums / ranges
c('opinion-enum','enum-value','/opinion', sdo('opinion',{"opinion":"maybe","object_refs":["indicator--0a0b0c0d-1e2f-4a5b-8c6d-7e8f90a1b2c3"]}))
c('open-vocab','open-vocab','/indicator_types/0', ind(indicator_types=["naughty"]), W)
c('confidence-range','integer-range','/confidence', ind(confidence=101))
c('confidence-float','property-type','/confidence', ind(confidence=5.5))
c('latitude-range','number-range','/latitude', sdo('location',{"latitude":91.0,"longitude":10.0}))
c('port-range','integer-range','/dst_port', sco('network-traffic',{"dst_ref":"ipv4-addr--5a0b0c0d-1e2f-5a5b-8c6d-7e8f90a1b2c3","dst_port":70000,"protocols":["tcp"]}))
# hashes, dictionaries, external refs, kill chains
c('hash-value','hash-value','/hashes/SHA-256', sco('file',{"name":"a.exe","hashes":{"SHA-256":"1234"}}))
c('hash-algorithm-name','hash-algorithm','/hashes/a b', sco('file',{"name":"a.exe","hashes":{"a b":"1234"}}))
c('hash-algorithm-spelling','hash-algorithm','/hashes/sha256', sco('file',{"name":"a.exe","hashes":{"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}}, uuid="2d6a8ec5-3a6b-5d2c-9d11-4e21a8d2f0b4"), W)
c('dictionary-key','dictionary-key','/environment_variables/bad key', sco('process',{"pid":1,"environment_variables":{"bad key":"x"}}, uuid="2a0b0c0d-1e2f-4a5b-8c6d-7e8f90a1b2c3"))
c('external-reference-empty','external-reference','/external_references/0', ind(external_references=[{"source_name":"x"}]))
c('external-reference-no-source','required-property','/external_references/0/source_name', ind(external_references=[{"url":"https://example.com"}]))
c('external-reference-cve','external-reference','/external_references/0/external_id', sdo('vulnerability',{"name":"x","external_references":[{"source_name":"cve","external_id":"CVE-16-1"}]}))
c('external-reference-url','url-format','/external_references/0/url', ind(external_references=[{"source_name":"x","url":"not a url"}]))
c('kill-chain-missing-phase','required-property','/kill_chain_phases/0/phase_name', ind(kill_chain_phases=[{"kill_chain_name":"lockheed-martin-cyber-kill-chain"}]))
c('kill-chain-names','kill-chain-names','/kill_chain_phases/0/phase_name', ind(kill_chain_phases=[{"kill_chain_name":"lockheed-martin-cyber-kill-chain","phase_name":"Delivery Stage"}]), W)
# markings
c('granular-no-ref-or-lang','granular-marking','/granular_markings/0', ind(granular_markings=[{"selectors":["name"]}]))
c('granular-selector','granular-selector','/granular_markings/0/selectors/0', ind(granular_markings=[{"selectors":["nonexistent"],"marking_ref":"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"}]))
c('granular-selector-index','granular-selector','/granular_markings/0/selectors/0', ind(granular_markings=[{"selectors":["indicator_types.[3]"],"marking_ref":"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"}]))
c('tlp1-wrong-colour','tlp-marking','/definition/tlp', {"type":"marking-definition","spec_version":"2.1","id":"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da","created":"2017-01-20T00:00:00.000Z","definition_type":"tlp","name":"TLP:GREEN","definition":{"tlp":"red"}})
c('tlp1-unknown-id','tlp-marking','/id', {"type":"marking-definition","spec_version":"2.1","id":"marking-definition--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2017-01-20T00:00:00.000Z","definition_type":"tlp","name":"TLP:GREEN","definition":{"tlp":"green"}})
c('tlp2-wrong-level','tlp-marking','/extensions/extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d/tlp_2_0', {"type":"marking-definition","spec_version":"2.1","id":"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb","created":"2022-10-01T00:00:00.000Z","name":"TLP:GREEN","extensions":{"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d":{"extension_type":"property-extension","tlp_2_0":"red"}}})
c('marking-versioned','marking-definition','/modified', {"type":"marking-definition","spec_version":"2.1","id":"marking-definition--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2017-01-20T00:00:00.000Z","modified":"2017-01-21T00:00:00.000Z","definition_type":"statement","definition":{"statement":"Copyright ACME"}})
c('marking-statement-missing','marking-definition','/definition', {"type":"marking-definition","spec_version":"2.1","id":"marking-definition--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2017-01-20T00:00:00.000Z","definition_type":"statement","definition":{"text":"Copyright ACME"}})
# extensions
c('extension-key','extension','/extensions/whatever', sco('file',{"name":"a","extensions":{"whatever":{"a":1}}}, uuid="2d6a8ec5-3a6b-5d2c-9d11-4e21a8d2f0b4"))
c('extension-wrong-type','extension','/extensions/archive-ext', sco('process',{"pid":2,"extensions":{"archive-ext":{"contains_refs":["file--5a0b0c0d-1e2f-5a5b-8c6d-7e8f90a1b2c3"]}}}, uuid="2a0b0c0d-1e2f-4a5b-8c6d-7e8f90a1b2c3"), W)
c('extension-missing-type','extension','/extensions/extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e/extension_type', ind(extensions={"extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e":{"rank":5}}))
c('extension-required-prop','required-property','/extensions/http-request-ext/request_value', sco('network-traffic',{"dst_ref":"ipv4-addr--5a0b0c0d-1e2f-5a5b-8c6d-7e8f90a1b2c3","protocols":["http"],"extensions":{"http-request-ext":{"request_method":"get"}}}))
c('socket-enum','enum-value','/extensions/socket-ext/address_family', sco('network-traffic',{"dst_ref":"ipv4-addr--5a0b0c0d-1e2f-5a5b-8c6d-7e8f90a1b2c3","protocols":["tcp"],"extensions":{"socket-ext":{"address_family":"AF_WHAT"}}}))
# patterns
c('pattern-syntax','pattern-syntax','/pattern', ind(pattern="[ipv4-addr:value = '198.51.100.1'"))
c('pattern-qualifier','pattern-syntax','/pattern', ind(pattern="[file:name = 'a'] WITHIN 5 HOURS"))
# type rules
c('observed-data-both','observed-data-objects','', sdo('observed-data',{"first_observed":"2020-01-01T00:00:00Z","last_observed":"2020-01-01T00:00:00Z","number_observed":1,"object_refs":["ipv4-addr--5a0b0c0d-1e2f-5a5b-8c6d-7e8f90a1b2c3"],"objects":{"0":{"type":"ipv4-addr","value":"1.2.3.4"}}}))
c('observed-data-objects-deprecated','deprecated-property','/objects', sdo('observed-data',{"first_observed":"2020-01-01T00:00:00Z","last_observed":"2020-01-01T00:00:00Z","number_observed":1,"objects":{"0":{"type":"ipv4-addr","value":"1.2.3.4"}}}), W)
c('relationship-type-format','relationship-type-format','/relationship_type', sdo('relationship',{"relationship_type":"Uses Stuff","source_ref":"malware--0a0b0c0d-1e2f-4a5b-8c6d-7e8f90a1b2c3","target_ref":"attack-pattern--0a0b0c0d-1e2f-4a5b-8c6d-7e8f90a1b2c3"}))
c('location-lat-without-long','location-fields','/longitude', sdo('location',{"latitude":10.0,"region":"europe"}))
c('location-nothing','location-fields','', sdo('location',{"name":"somewhere"}))
c('malware-family-needs-name','required-property','/name', sdo('malware',{"is_family":True}))
c('artifact-both','artifact-fields','/url', sco('artifact',{"payload_bin":"aGVsbG8=","url":"https://example.com/a","hashes":{"MD5":"5d41402abc4b2a76b9719d911017c592"}}))
c('email-multipart-body','email-message-body','/body', sco('email-message',{"is_multipart":True,"body":"hi"}, uuid="2a0b0c0d-1e2f-4a5b-8c6d-7e8f90a1b2c3"))
c('email-header-dup','email-message-header','/additional_header_fields/Subject', sco('email-message',{"is_multipart":False,"additional_header_fields":{"Subject":["x"]}}, uuid="2a0b0c0d-1e2f-4a5b-8c6d-7e8f90a1b2c3"))
c('network-traffic-no-endpoints','network-traffic-fields','', sco('network-traffic',{"protocols":["tcp"]}))
c('network-traffic-active-end','network-traffic-fields','/end', sco('network-traffic',{"src_ref":"ipv4-addr--5a0b0c0d-1e2f-5a5b-8c6d-7e8f90a1b2c3","protocols":["tcp"],"is_active":True,"end":"2020-01-01T00:00:00Z"}))
c('ipv4-format','address-format','/value', sco('ipv4-addr',{"value":"300.1.2.3"}))
c('ipv6-format','address-format','/value', sco('ipv6-addr',{"value":"2001:db8::1::2"}))
c('mac-format','address-format','/value', sco('mac-addr',{"value":"AA-BB-CC-DD-EE-FF"}))
c('email-format','address-format','/value', sco('email-addr',{"value":"not-an-address"}))
c('url-format','url-format','/value', sco('url',{"value":"www.example.com/no-scheme"}))
c('sco-id-not-deterministic','sco-id-deterministic','/id', sco('ipv4-addr',{"value":"198.51.100.3"}, uuid="5a0b0c0d-1e2f-5a5b-8c6d-7e8f90a1b2c3"), W)
c('sco-id-uuid-v1','sco-id-uuid5','/id', sco('mutex',{"name":"m"}, uuid="5a0b0c0d-1e2f-1a5b-8c6d-7e8f90a1b2c3"), W)
c('custom-prefix','custom-prefix','/foo_bar', ind(foo_bar="v"), W)
c('file-needs-name-or-hash','required-property','', sco('file',{"size":4}, uuid="2a0b0c0d-1e2f-4a5b-8c6d-7e8f90a1b2c3"))
c('extension-definition-enum','enum-value','/extension_types/0', sdo('extension-definition',{"name":"x","schema":"https://example.com/s","version":"1.0","extension_types":["new-thing"]}, uuid="0a0b0c0d-1e2f-4a5b-8c6d-7e8f90a1b2c3"))
# bundle level
c('hash-ssdeep','hash-value','/hashes/SSDEEP', sco('file',{"hashes":{"SSDEEP":"!!!"}}))
c('hash-tlsh','hash-value','/hashes/TLSH', sco('file',{"hashes":{"TLSH":"zz"}}))
c('reserved-type','reserved-type','/type', sdo('action',{"x_step":1}))
# Meta objects (§7) carry the common properties too: required, and checked like any SDO's.
LC={"object_ref":"campaign--12a111f0-b824-4baf-a224-83b80237a094","contents":{"de":{"name":"Bank Angriff 1"}}}
ED={"created_by_ref":"identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","name":"x","schema":"https://example.com/s","version":"1.0","extension_types":["new-sdo"]}
lc_no_modified=sdo('language-content',LC); lc_no_modified.pop('modified')
c('language-content-missing-modified','required-property','/modified', lc_no_modified)
c('language-content-creator-not-identity','reference-type','/created_by_ref', sdo('language-content',dict(LC, created_by_ref="malware--12a111f0-b824-4baf-a224-83b80237a094")))
c('language-content-bad-tag','language-tag','/contents/not a lang!', sdo('language-content',dict(LC, contents={"not a lang!":{"name":"x"}})))
c('extension-definition-missing-creator','required-property','/created_by_ref', sdo('extension-definition',{k:v for k,v in ED.items() if k!='created_by_ref'}))
c('duplicate-id','duplicate-id','/objects/1', bundle(ind(), ind(name="Another name")))
c('duplicate-object','duplicate-object','/objects/1', bundle(ind(), ind()), W)
c('empty-bundle','bundle-format','/objects', bundle())
c('bundle-bad-id','bundle-format','/id', {"type":"bundle","id":"bundle-1","objects":[ind()]})
c('bundle-extra','bundle-format','/spec_version', bundle(ind(), spec_version="2.1"), W)
# Two "objects" lists (JSON with a duplicate member name): written as text, json.dumps cannot.
c('bundle-objects-twice','bundle-objects-twice','/objects', '{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":['+json.dumps(ind())+'],"objects":['+json.dumps(ind(id="indicator--9e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"))+']}\n')
valid={
 'indicator': ind(),
 'bundle-two-versions': bundle(ind(), ind(modified="2017-01-01T00:00:00.000Z")),
 'custom-object': {"type":"x-acme-widget","spec_version":"2.1","id":"x-acme-widget--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z","x_size":3,"extensions":{"extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e":{"extension_type":"new-sdo"}}},
 'granular': ind(granular_markings=[{"selectors":["name","indicator_types.[0]"],"marking_ref":"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"}], object_marking_refs=["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"]),
 'sco-deterministic': sco('ipv4-addr',{"value":"198.51.100.3"}, uuid="ff4b0c1e-d17c-5a3c-8a4e-9e4f21ac9af4"),
 'language-content': sdo('language-content',dict(LC, contents={"de":{"name":"Bank Angriff 1"},"x-klingon":{"name":"x"},"i-klingon":{"name":"y"},"zh-Hant-TW":{"name":"z"}})),
 'extension-definition': sdo('extension-definition',ED),
 'json-lines': None,
}
for name,sev,rule,pointer,content in cases:
    d=root+('/invalid/' if sev==E else '/valid/')+name+'.json'
    if isinstance(content,bytes): open(d,'wb').write(content)
    elif isinstance(content,str): open(d,'w').write(content)
    else: open(d,'w').write(json.dumps(content,indent=1)+'\n')
with open(root+'/expectations.tsv','w') as f:
    f.write('# file\tseverity\trule\tpointer — each corpus file must produce this finding\n')
    for name,sev,rule,pointer,content in cases:
        f.write(f"{'invalid' if sev==E else 'valid'}/{name}.json\t{sev}\t{rule}\t{pointer}\n")
for name,content in valid.items():
    if content is None:
        open(root+'/valid/json-lines.jsonl','w').write(json.dumps(ind())+'\n'+json.dumps(ind(modified="2017-01-01T00:00:00.000Z"))+'\n')
        continue
    open(root+f'/valid/{name}.json','w').write(json.dumps(content,indent=1)+'\n')
print(len(cases))
