// POSIX threads: clone with CLONE_SETTLS/CHILD_CLEARTID, futex-based mutex and condition
// variable, per-thread __thread values, pthread_join results. Output is deterministic.
// LDFLAGS: -pthread
#include <pthread.h>
#include <stdio.h>

#define NTHREADS 4
#define ITERS 20000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static long shared_counter;
static int ready;
static __thread int my_id = -1;
static __thread long my_sum;

static void *worker(void *arg) {
    my_id = (int)(long)arg;
    pthread_mutex_lock(&lock);
    while (!ready) pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    for (int i = 0; i < ITERS; i++) {
        pthread_mutex_lock(&lock);
        shared_counter++;
        pthread_mutex_unlock(&lock);
        my_sum += my_id;
    }
    return (void *)(my_sum + 1000L * my_id);
}

int main(void) {
    pthread_t t[NTHREADS];
    my_id = 99;
    for (long i = 0; i < NTHREADS; i++)
        if (pthread_create(&t[i], NULL, worker, (void *)i) != 0) {
            printf("pthread_create failed\n");
            return 1;
        }
    pthread_mutex_lock(&lock);
    ready = 1;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
    for (int i = 0; i < NTHREADS; i++) {
        void *ret;
        pthread_join(t[i], &ret);
        printf("thread %d returned %ld\n", i, (long)ret);
    }
    printf("counter=%ld (expected %d) main my_id=%d my_sum=%ld\n", shared_counter,
           NTHREADS * ITERS, my_id, my_sum);
    return 0;
}
