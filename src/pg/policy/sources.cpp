/*
 * What an smpc aggregate's input reads: the base columns (columns of a
 * table) behind its arguments, followed down the plan the executor runs.
 * Release policies look bounds up by them (release_policy.cpp) and charge
 * privacy budgets to them (privacy.cpp).
 *
 * Why the plan: it is what runs. The planner has expanded views, inlined
 * SQL functions and pulled up the subqueries, CTEs and UNION ALL branches it
 * could; what it kept is still there as a subquery scan, a CTE scan or an
 * Append, whose target lists lead further down. The plan travels with
 * prepared statements, SPI and parallel workers, so each process that
 * aggregates rows follows it for itself, and nothing needs to be carried
 * from planning to execution.
 *
 * Following a value: a Var leads to a child plan's target list entry
 * (OUTER_VAR, INNER_VAR, INDEX_VAR; every child of an Append), to a
 * subquery's or CTE's plan, or to a table's column in the range table. A
 * value that reaches table columns only through Vars and casts between
 * numeric types is a rename of them; anything else is an expression, which
 * reads every column its Vars reach. A stored generated column reads the
 * columns of its expression too.
 *
 * What cannot be followed makes the input unknown, which callers treat as
 * reading every column: a function that is not built in, that is volatile
 * or that reads whole tables (table_to_xml and the like), since any of these
 * may run queries of its own; a function in FROM that the planner did not
 * inline; a recursive CTE; a parameter set by another part of the plan (an
 * initplan, a lateral reference); a plan node not handled here.
 */
#include "pg/policy/policy.h"

extern "C" {
#include "access/relation.h"
#include "access/sysattr.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "nodes/execnodes.h"
#include "nodes/nodeFuncs.h"
#include "nodes/plannodes.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
}

/* The walk over one statement's plan. */
typedef struct SmpcTrace
{
	List		*rtable;	   /* the statement's (flattened) range table */
	List		*subplans;	   /* PlannedStmt.subplans: CTEs and subqueries */
	Bitmapset	*known_params; /* PARAM_EXEC ids whose values are traced */
	SmpcSources *out;
} SmpcTrace;

/* An expression walk in the context of the plan node it belongs to. */
typedef struct SmpcTraceWalk
{
	SmpcTrace *t;
	Plan	  *plan;
} SmpcTraceWalk;

static void smpc_trace_expr(SmpcTrace *t, Plan *plan, Node *node, bool as_value);

/* Marks the input as unknown (the first reason is kept). */
static void
smpc_trace_unknown(SmpcTrace *t, const char *why)
{
	if (t->out->unknown)
		return;
	t->out->unknown = true;
	strlcpy(t->out->why, why, sizeof t->out->why);
}

/* Appends name to *names unless it is there already. */
static void
smpc_names_add(List **names, const char *name)
{
	ListCell *lc;

	foreach (lc, *names)
		if (strcmp((const char *) lfirst(lc), name) == 0)
			return;
	*names = lappend(*names, pstrdup(name));
}

bool
smpc_names_have(const List *names, const char *name)
{
	const ListCell *lc;

	foreach (lc, names)
		if (strcmp((const char *) lfirst(lc), name) == 0)
			return true;
	return false;
}

/* The columns that stored generated column attno of relid is computed from. */
static void
smpc_trace_generated(SmpcTrace *t, Oid relid, AttrNumber attno)
{
	Relation	 rel = relation_open(relid, AccessShareLock);
	TupleConstr *constr = RelationGetDescr(rel)->constr;
	Bitmapset	*attnos = NULL;
	int			 k = -1;

	for (int i = 0; constr != NULL && i < constr->num_defval; i++)
		if (constr->defval[i].adnum == attno)
			pull_varattnos((Node *) stringToNode(constr->defval[i].adbin), 1, &attnos);
	relation_close(rel, AccessShareLock);
	while ((k = bms_next_member(attnos, k)) >= 0)
	{
		char *name = get_attname(relid, k + FirstLowInvalidHeapAttributeNumber, true);

		if (name != NULL)
			smpc_names_add(&t->out->columns, name);
	}
}

/* Column attno of table relid (0: the whole row). */
static void
smpc_trace_column(SmpcTrace *t, Oid relid, AttrNumber attno, bool as_value)
{
	char *name;

	if (attno == 0)
	{
		Relation  rel = relation_open(relid, AccessShareLock);
		TupleDesc desc = RelationGetDescr(rel);
		List	 *attnos = NIL;
		ListCell *lc;

		for (int i = 0; i < desc->natts; i++)
			if (!TupleDescAttr(desc, i)->attisdropped)
				attnos = lappend_int(attnos, TupleDescAttr(desc, i)->attnum);
		relation_close(rel, AccessShareLock);
		if (as_value)
			t->out->rename = false;
		foreach (lc, attnos)
			smpc_trace_column(t, relid, (AttrNumber) lfirst_int(lc), false);
		return;
	}
	if (attno < 0)
	{
		/* A system column (ctid, xmin, ...) holds no one's data. */
		if (as_value)
			t->out->rename = false;
		return;
	}
	name = get_attname(relid, attno, true);
	if (name == NULL)
	{
		smpc_trace_unknown(t, "a column that no longer exists");
		return;
	}
	smpc_names_add(&t->out->columns, name);
	if (get_attgenerated(relid, attno) == ATTRIBUTE_GENERATED_STORED)
	{
		smpc_trace_generated(t, relid, attno);
		if (as_value)
			smpc_names_add(&t->out->generated, name);
	}
	if (as_value)
		smpc_names_add(&t->out->values, name);
}

/* Output column attno of plan (0: every column). */
static void
smpc_trace_output(SmpcTrace *t, Plan *plan, AttrNumber attno, bool as_value)
{
	TargetEntry *tle;

	if (plan == NULL)
	{
		smpc_trace_unknown(t, "a part of the plan that is not available here");
		return;
	}
	if (attno == 0)
	{
		ListCell *lc;

		if (as_value)
			t->out->rename = false;
		foreach (lc, plan->targetlist)
			if (!((TargetEntry *) lfirst(lc))->resjunk)
				smpc_trace_expr(t, plan, (Node *) ((TargetEntry *) lfirst(lc))->expr, false);
		return;
	}
	tle = get_tle_by_resno(plan->targetlist, attno);
	if (tle == NULL)
		smpc_trace_unknown(t, "a plan node smpc does not follow");
	else
		smpc_trace_expr(t, plan, (Node *) tle->expr, as_value);
}

/* OUTER_VAR attno of plan: its (outer) child's output. */
static void
smpc_trace_outer(SmpcTrace *t, Plan *plan, AttrNumber attno, bool as_value)
{
	ListCell *lc;

	if (IsA(plan, Append))
		foreach (lc, ((Append *) plan)->appendplans)
			smpc_trace_output(t, (Plan *) lfirst(lc), attno, as_value);
	else if (IsA(plan, MergeAppend))
		foreach (lc, ((MergeAppend *) plan)->mergeplans)
			smpc_trace_output(t, (Plan *) lfirst(lc), attno, as_value);
	else if (IsA(plan, RecursiveUnion))
		smpc_trace_unknown(t, "a recursive query");
	else if (IsA(plan, ModifyTable))
		smpc_trace_unknown(t, "a data-modifying statement");
	else
		smpc_trace_output(t, outerPlan(plan), attno, as_value);
}

/* The target list an INDEX_VAR of plan refers to, or NIL. */
static List *
smpc_index_tlist(Plan *plan)
{
	if (IsA(plan, IndexOnlyScan))
		return ((IndexOnlyScan *) plan)->indextlist;
	if (IsA(plan, ForeignScan))
		return ((ForeignScan *) plan)->fdw_scan_tlist;
	if (IsA(plan, CustomScan))
		return ((CustomScan *) plan)->custom_scan_tlist;
	return NIL;
}

static bool smpc_trace_walker(Node *node, SmpcTraceWalk *w);

/* Walks node as an expression: every column it reads. */
static void
smpc_trace_reads(SmpcTrace *t, Plan *plan, Node *node)
{
	SmpcTraceWalk w = {t, plan};

	(void) smpc_trace_walker(node, &w);
}

/* A Var of a scan node plan: a column of the range table entry it scans. */
static void
smpc_trace_scanned(SmpcTrace *t, Plan *plan, Var *var, bool as_value)
{
	RangeTblEntry *rte;
	bool		   scans = false;
	ListCell	  *lc;

	if (var->varno < 1 || var->varno > (int) list_length(t->rtable))
	{
		smpc_trace_unknown(t, "a plan node smpc does not follow");
		return;
	}
	rte = rt_fetch(var->varno, t->rtable);
	if (rte->rtekind == RTE_RELATION)
	{
		smpc_trace_column(t, rte->relid, var->varattno, as_value);
		return;
	}
	/* Other entries lost their contents when the plan was made: read the scan node. */
	switch (nodeTag(plan))
	{
		case T_SubqueryScan:
		case T_CteScan:
		case T_FunctionScan:
		case T_ValuesScan:
		case T_TableFuncScan:
			scans = ((Scan *) plan)->scanrelid == (Index) var->varno;
			break;
		default:
			break;
	}
	if (!scans)
	{
		smpc_trace_unknown(t, rte->rtekind == RTE_CTE && rte->self_reference
								  ? "a recursive query"
								  : "a plan node smpc does not follow");
		return;
	}
	switch (nodeTag(plan))
	{
		case T_SubqueryScan:
			smpc_trace_output(t, ((SubqueryScan *) plan)->subplan, var->varattno, as_value);
			break;
		case T_CteScan:
		{
			int id = ((CteScan *) plan)->ctePlanId;

			smpc_trace_output(t,
							  id >= 1 && id <= list_length(t->subplans)
								  ? (Plan *) list_nth(t->subplans, id - 1)
								  : NULL,
							  var->varattno, as_value);
			break;
		}
		case T_FunctionScan:
			/* A function the planner inlined is gone; these are expressions. */
			if (as_value)
				t->out->rename = false;
			foreach (lc, ((FunctionScan *) plan)->functions)
				smpc_trace_reads(t, plan, ((RangeTblFunction *) lfirst(lc))->funcexpr);
			break;
		case T_ValuesScan:
			foreach (lc, ((ValuesScan *) plan)->values_lists)
			{
				List *row = (List *) lfirst(lc);

				if (var->varattno >= 1 && var->varattno <= list_length(row))
					smpc_trace_expr(t, plan, (Node *) list_nth(row, var->varattno - 1), as_value);
				else
					smpc_trace_expr(t, plan, (Node *) row, as_value);
			}
			break;
		case T_TableFuncScan:
			if (as_value)
				t->out->rename = false;
			smpc_trace_reads(t, plan, (Node *) ((TableFuncScan *) plan)->tablefunc);
			break;
		default:
			break;
	}
}

/* A Var in an expression of plan node plan. */
static void
smpc_trace_var(SmpcTrace *t, Plan *plan, Var *var, bool as_value)
{
	TargetEntry *tle;

	if (var->varlevelsup != 0)
	{
		smpc_trace_unknown(t, "an outer query's column");
		return;
	}
	switch (var->varno)
	{
		case OUTER_VAR:
			smpc_trace_outer(t, plan, var->varattno, as_value);
			break;
		case INNER_VAR:
			smpc_trace_output(t, innerPlan(plan), var->varattno, as_value);
			break;
		case INDEX_VAR:
			tle = get_tle_by_resno(smpc_index_tlist(plan), var->varattno);
			if (tle == NULL)
				smpc_trace_unknown(t, "a plan node smpc does not follow");
			else
				smpc_trace_expr(t, plan, (Node *) tle->expr, as_value);
			break;
		case ROWID_VAR:
			smpc_trace_unknown(t, "a plan node smpc does not follow");
			break;
		default:
			smpc_trace_scanned(t, plan, var, as_value);
			break;
	}
}

/*
 * A function whose result may depend on more than its arguments: one that
 * is not built in or is volatile (it may run queries), or a built-in one
 * that reads whole tables.
 */
static bool
smpc_opaque_function(Oid funcid, void *context)
{
	SmpcTrace *t = (SmpcTrace *) context;
	char	  *name = get_func_name(funcid);

	if (funcid < FirstNormalObjectId && func_volatile(funcid) != PROVOLATILE_VOLATILE &&
		(name == NULL || strstr(name, "_to_xml") == NULL))
		return false;
	smpc_trace_unknown(t, psprintf("function %s()", name ? name : "(unknown)"));
	return true;
}

/* A subquery in an expression (SubPlan): its parameters and its output. */
static void
smpc_trace_subplan(SmpcTrace *t, Plan *plan, SubPlan *sp)
{
	Plan	 *sub = sp->plan_id >= 1 && sp->plan_id <= list_length(t->subplans)
						? (Plan *) list_nth(t->subplans, sp->plan_id - 1)
						: NULL;
	ListCell *lc;

	if (sub == NULL)
	{
		smpc_trace_unknown(t, "a subquery that is not available here");
		return;
	}
	/* Values passed in (args) and out (to testexpr) are traced here. */
	foreach (lc, sp->parParam)
		t->known_params = bms_add_member(t->known_params, lfirst_int(lc));
	foreach (lc, sp->paramIds)
		t->known_params = bms_add_member(t->known_params, lfirst_int(lc));
	smpc_trace_reads(t, plan, (Node *) sp->args);
	smpc_trace_reads(t, plan, sp->testexpr);
	foreach (lc, sub->targetlist)
		if (!((TargetEntry *) lfirst(lc))->resjunk)
			smpc_trace_expr(t, sub, (Node *) ((TargetEntry *) lfirst(lc))->expr, false);
}

static bool
smpc_trace_walker(Node *node, SmpcTraceWalk *w)
{
	if (node == NULL || w->t->out->unknown)
		return false;
	if (IsA(node, Var))
	{
		smpc_trace_var(w->t, w->plan, (Var *) node, false);
		return false;
	}
	if (IsA(node, Param))
	{
		Param *p = (Param *) node;

		if (p->paramkind == PARAM_EXEC && !bms_is_member(p->paramid, w->t->known_params))
			smpc_trace_unknown(w->t, "a value computed in another part of the query");
		return false;
	}
	if (IsA(node, SubPlan))
	{
		smpc_trace_subplan(w->t, w->plan, (SubPlan *) node);
		return false;
	}
	if (check_functions_in_node(node, smpc_opaque_function, w->t))
		return false;
	/* PostgreSQL declares walkers without parameters; void (*)() converts to any. */
	return expression_tree_walker(node, (bool (*)())(void (*)()) smpc_trace_walker, w);
}

/* A number type: casts between them keep a value's meaning. */
static bool
smpc_number_type(Oid type)
{
	return type == INT2OID || type == INT4OID || type == INT8OID || type == NUMERICOID ||
		   type == FLOAT4OID || type == FLOAT8OID;
}

/* node without the casts between number types around it. */
static Node *
smpc_strip_casts(Node *node)
{
	for (;;)
	{
		if (IsA(node, RelabelType))
			node = (Node *) ((RelabelType *) node)->arg;
		else if (IsA(node, FuncExpr) &&
				 (((FuncExpr *) node)->funcformat == COERCE_EXPLICIT_CAST ||
				  ((FuncExpr *) node)->funcformat == COERCE_IMPLICIT_CAST) &&
				 ((FuncExpr *) node)->funcid < FirstNormalObjectId &&
				 ((FuncExpr *) node)->args != NIL &&
				 smpc_number_type(((FuncExpr *) node)->funcresulttype) &&
				 smpc_number_type(exprType((Node *) linitial(((FuncExpr *) node)->args))))
			node = (Node *) linitial(((FuncExpr *) node)->args);
		else
			return node;
	}
}

/*
 * Follows node, an expression of plan node plan. as_value: node is (a
 * branch of) the aggregated value itself, which stays a rename only while
 * it is a Var or a cast.
 */
static void
smpc_trace_expr(SmpcTrace *t, Plan *plan, Node *node, bool as_value)
{
	check_stack_depth();
	if (node == NULL || t->out->unknown)
		return;
	if (as_value)
	{
		node = smpc_strip_casts(node);
		if (IsA(node, Var))
		{
			smpc_trace_var(t, plan, (Var *) node, true);
			return;
		}
		t->out->rename = false;
	}
	smpc_trace_reads(t, plan, node);
}

static void smpc_trace_aggref(SmpcTrace *t, Plan *plan, Aggref *aggref, int argno, bool all_args);

/*
 * A finalize (or combine) aggregate's input is a partial aggregate's output:
 * OUTER_VAR attno of plan, followed down to the partial Aggrefs (one under
 * each child of an Append, for partitionwise aggregation).
 */
static void
smpc_trace_partials(SmpcTrace *t, Plan *plan, AttrNumber attno, int argno, bool all_args)
{
	List	 *children;
	ListCell *lc;

	check_stack_depth();
	if (IsA(plan, Append))
		children = ((Append *) plan)->appendplans;
	else if (IsA(plan, MergeAppend))
		children = ((MergeAppend *) plan)->mergeplans;
	else
		children = list_make1(outerPlan(plan));
	foreach (lc, children)
	{
		Plan		*child = (Plan *) lfirst(lc);
		TargetEntry *tle = child ? get_tle_by_resno(child->targetlist, attno) : NULL;

		if (tle != NULL && IsA(tle->expr, Aggref))
			smpc_trace_aggref(t, child, (Aggref *) tle->expr, argno, all_args);
		else if (tle != NULL && IsA(tle->expr, Var) && ((Var *) tle->expr)->varno == OUTER_VAR)
			smpc_trace_partials(t, child, ((Var *) tle->expr)->varattno, argno, all_args);
		else
			smpc_trace_unknown(t, "a plan node smpc does not follow");
	}
}

/*
 * Argument argno of aggref, an aggregate of Agg node plan (all_args: and
 * every other argument that reads columns, such as a grouped aggregate's
 * key).
 */
static void
smpc_trace_aggref(SmpcTrace *t, Plan *plan, Aggref *aggref, int argno, bool all_args)
{
	Expr	 *arg;
	int		  i = 0;
	ListCell *lc;

	if (DO_AGGSPLIT_COMBINE(aggref->aggsplit))
	{
		arg = ((TargetEntry *) llast(aggref->args))->expr;
		if (IsA(arg, Var) && ((Var *) arg)->varno == OUTER_VAR)
			smpc_trace_partials(t, plan, ((Var *) arg)->varattno, argno, all_args);
		else
			smpc_trace_unknown(t, "a plan node smpc does not follow");
		return;
	}
	foreach (lc, aggref->args)
	{
		arg = ((TargetEntry *) lfirst(lc))->expr;
		if (i == argno)
			smpc_trace_expr(t, plan, (Node *) arg, true);
		else if (all_args && contain_var_clause((Node *) arg))
			smpc_trace_expr(t, plan, (Node *) arg, false);
		i++;
	}
	if (argno >= i)
		smpc_trace_unknown(t, "an aggregate without that argument");
}

/* What this aggregate call's argument argno (and, all_args, the others) reads. */
static void
smpc_trace(FunctionCallInfo fcinfo, int argno, bool all_args, SmpcSources *out)
{
	Aggref	 *aggref = AggGetAggref(fcinfo);
	SmpcTrace t;

	memset(out, 0, sizeof *out);
	out->rename = true;
	memset(&t, 0, sizeof t);
	t.out = out;
	if (aggref == NULL || fcinfo->context == NULL || !IsA(fcinfo->context, AggState))
	{
		smpc_trace_unknown(&t, "a call outside an aggregate");
	}
	else
	{
		AggState *aggstate = (AggState *) fcinfo->context;
		EState	 *estate = aggstate->ss.ps.state;

		t.rtable = estate->es_range_table;
		t.subplans = estate->es_plannedstmt ? estate->es_plannedstmt->subplans : NIL;
		smpc_trace_aggref(&t, aggstate->ss.ps.plan, aggref, argno, all_args);
	}
	if (out->unknown)
	{
		out->rename = false;
		out->columns = out->values = out->generated = NIL;
	}
	else if (!out->rename)
		out->values = out->generated = NIL;
}

/* What the value an aggregate aggregates (its argument argno) reads. */
void
smpc_value_sources(FunctionCallInfo fcinfo, int argno, SmpcSources *out)
{
	smpc_trace(fcinfo, argno, false, out);
}

/*
 * What a job reads: its value (argument argno) and every other argument
 * that reads columns (a grouped aggregate's key). Palloc'd.
 */
SmpcSources *
smpc_job_sources(FunctionCallInfo fcinfo, int argno)
{
	SmpcSources *out = (SmpcSources *) palloc(sizeof(SmpcSources));

	smpc_trace(fcinfo, argno, true, out);
	return out;
}

static int
smpc_name_cmp(const ListCell *a, const ListCell *b)
{
	return strcmp((const char *) lfirst(a), (const char *) lfirst(b));
}

/* names, sorted (plans list them in any order), as "a, b". */
static char *
smpc_names_text(const List *names)
{
	List		  *sorted = list_copy(names);
	StringInfoData buf;
	ListCell	  *lc;

	list_sort(sorted, smpc_name_cmp);
	initStringInfo(&buf);
	foreach (lc, sorted)
		appendStringInfo(&buf, "%s%s", buf.len ? ", " : "", (const char *) lfirst(lc));
	return buf.data;
}

/*
 * What a job read, as a stored result is bound to it: the base columns the
 * value is ("weight"), or those an expression over them reads ("an
 * expression over a, b"), and the other columns the job reads (a grouped
 * job's key); "no column" for constants. Columns are named as bounds name
 * them, without their table.
 */
char *
smpc_sources_text(const SmpcSources *s)
{
	List	 *others = NIL;
	ListCell *lc;
	char	 *text;

	if (s->unknown)
		return psprintf("an input not followed (%s)", s->why);
	if (s->columns == NIL)
		return pstrdup("no column"); /* constants */
	if (!s->rename)
		return psprintf("an expression over %s", smpc_names_text(s->columns));
	foreach (lc, s->columns)
		if (!smpc_names_have(s->values, (const char *) lfirst(lc)))
			others = lappend(others, lfirst(lc));
	text = smpc_names_text(s->values);
	if (others != NIL)
		text = psprintf("%s (and %s)", text, smpc_names_text(others));
	return text;
}
