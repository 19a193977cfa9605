/*
 * The API's worker threads: a FIFO of jobs that may block (compiling a
 * published module, waiting for a reducer's outcome over HTTP, following
 * a log), so that no event-loop thread ever does.  A job that waits for a
 * long time (a log follower) holds one worker, so the pool grows up to
 * MAX_WORKERS when every worker is busy.
 *
 * Invariant: a job queued before api__workers_stop runs to completion
 * before stop returns; none is accepted afterwards.
 */
#include <pthread.h>

#include "api/api_int.h"

#define MIN_WORKERS 2
#define MAX_WORKERS 64

typedef struct job {
    struct job *next;
    void (*fn)(void *arg);
    void *arg;
} job_t;

struct api_workers {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    job_t *head, *tail;
    bool stopping;
    int nthreads, idle;
    pthread_t threads[MAX_WORKERS];
};

static void *worker_main(void *arg)
{
    struct api_workers *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->head && !w->stopping) {
            w->idle++;
            pthread_cond_wait(&w->cv, &w->mu);
            w->idle--;
        }
        if (!w->head)
            break;
        job_t *j = w->head;
        w->head = j->next;
        if (!w->head)
            w->tail = NULL;
        pthread_mutex_unlock(&w->mu);
        j->fn(j->arg);
        lc_free(j);
        pthread_mutex_lock(&w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

static int add_thread(struct api_workers *w)
{
    if (w->nthreads == MAX_WORKERS)
        return LC_EBUSY;
    if (pthread_create(&w->threads[w->nthreads], NULL, worker_main, w))
        return LC_ENOMEM;
    w->nthreads++;
    return LC_OK;
}

int api_defer(api_t *api, void (*fn)(void *arg), void *arg)
{
    struct api_workers *w = api->workers;
    job_t *j = lc_malloc(sizeof *j);
    if (!j)
        return LC_ENOMEM;
    *j = (job_t){NULL, fn, arg};
    pthread_mutex_lock(&w->mu);
    if (w->stopping) {
        pthread_mutex_unlock(&w->mu);
        lc_free(j);
        return LC_EBUSY;
    }
    if (w->tail)
        w->tail->next = j;
    else
        w->head = j;
    w->tail = j;
    if (w->idle == 0)
        add_thread(w); /* at the cap the job waits for a worker */
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return LC_OK;
}

int api__workers_start(api_t *api, lc_err_t *err)
{
    struct api_workers *w = lc_calloc(1, sizeof *w);
    if (!w)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    api->workers = w;
    pthread_mutex_lock(&w->mu);
    int rc = LC_OK;
    for (int i = 0; rc == LC_OK && i < MIN_WORKERS; i++) rc = add_thread(w);
    pthread_mutex_unlock(&w->mu);
    return rc ? lc_err_set(err, rc, "cannot start the API's worker threads") : LC_OK;
}

void api__workers_stop(api_t *api)
{
    struct api_workers *w = api->workers;
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stopping = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    for (int i = 0; i < w->nthreads; i++) pthread_join(w->threads[i], NULL);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    lc_free(w);
    api->workers = NULL;
}
