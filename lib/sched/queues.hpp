// The scheduler's queues as pure, intrusive data structures over any node
// type with a `next` link and a `wake_tick` (the kernel's Process; host
// tests use their own). No allocation, no hardware: kernel/proc/sched.cpp
// does the switching, this decides the order.
//
//   RunQueue    FIFO: round robin is "pop the head, push the tail".
//   SleepList   processes blocked until a tick, sorted; wake_due(now)
//               hands back every one whose tick has come, earliest first
//               (ties in the order they went to sleep).
#pragma once

#include <cstddef>
#include <cstdint>

namespace capos::sched {

template <typename T>
class RunQueue {
public:
    void push(T* p) {
        p->next = nullptr;
        if (tail_) tail_->next = p;
        else head_ = p;
        tail_ = p;
        ++size_;
    }
    T* pop() {
        T* p = head_;
        if (p) {
            head_ = p->next;
            if (!head_) tail_ = nullptr;
            p->next = nullptr;
            --size_;
        }
        return p;
    }
    // Removes p if it is queued; true if it was.
    bool remove(T* p) {
        T* prev = nullptr;
        for (T* q = head_; q; prev = q, q = q->next) {
            if (q != p) continue;
            if (prev) prev->next = q->next;
            else head_ = q->next;
            if (tail_ == q) tail_ = prev;
            q->next = nullptr;
            --size_;
            return true;
        }
        return false;
    }
    bool empty() const { return head_ == nullptr; }
    size_t size() const { return size_; }

private:
    T* head_ = nullptr;
    T* tail_ = nullptr;
    size_t size_ = 0;
};

template <typename T>
class SleepList {
public:
    // Blocks p until `tick` (UINT64_MAX: until removed some other way).
    // Kept sorted by tick, stable for equal ticks.
    void insert(T* p, uint64_t tick) {
        p->wake_tick = tick;
        T** link = &head_;
        while (*link && (*link)->wake_tick <= tick) link = &(*link)->next;
        p->next = *link;
        *link = p;
        ++size_;
    }
    // Removes every sleeper with wake_tick <= now, in wake order, calling
    // wake(T*) for each (which typically marks it runnable and pushes it on
    // a RunQueue). Returns how many woke.
    template <typename F>
    size_t wake_due(uint64_t now, F&& wake) {
        size_t woken = 0;
        while (head_ && head_->wake_tick <= now) {
            T* p = head_;
            head_ = p->next;
            p->next = nullptr;
            --size_;
            wake(p);
            ++woken;
        }
        return woken;
    }
    // Removes p if it is asleep here; true if it was.
    bool remove(T* p) {
        for (T** link = &head_; *link; link = &(*link)->next) {
            if (*link == p) {
                *link = p->next;
                p->next = nullptr;
                --size_;
                return true;
            }
        }
        return false;
    }
    // The earliest wake tick, or UINT64_MAX when nobody sleeps.
    uint64_t next_tick() const { return head_ ? head_->wake_tick : UINT64_MAX; }
    size_t size() const { return size_; }

private:
    T* head_ = nullptr;
    size_t size_ = 0;
};

}  // namespace capos::sched
