/*
 * The TypeScript <-> C contract (C half in contract.c, TypeScript half in
 * src/native/contract.ts): the spawn, enter and idmap records, read strictly.
 */
#ifndef MINICTR_CONTRACT_H
#define MINICTR_CONTRACT_H

#include <node_api.h>
#include "minictr.h"

/* 0, or -1 with err set to one line naming the bad key (and nothing left allocated or open) */
int ctr_read_spawn(napi_env env, napi_value spec, struct ctr_config *c, struct ctr_detach *d, int *detached, char *err, size_t errlen);
void ctr_free_spawn(struct ctr_config *c, struct ctr_detach *d);
int ctr_read_enter(napi_env env, napi_value spec, struct ctr_enter_config *c, char *err, size_t errlen);
void ctr_free_enter(struct ctr_enter_config *c);
int ctr_read_idmap(napi_env env, napi_value spec, struct ctr_idmap *m, char *err, size_t errlen);
void ctr_free_idmap(struct ctr_idmap *m);
/* { spawn: ["cloneFlags", "overlay?", ...], creds: [...], ... }: "?" marks optional keys */
napi_value ctr_contract_fields(napi_env env);

#endif
