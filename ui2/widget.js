// What every dlm-ui2 widget does in the browser: take the view model the node computed from the
// balancer status (msg.payload) from Dashboard 2.0's socket — the last one on load, then every
// update — and send edits back as widget actions (checked again on the server before they leave
// the node). All user and device text is rendered with {{ }} (text), never as HTML (R-CP-6).
export default {
  inject: ['$socket'],
  props: {
    id: { type: String, required: true },
    props: { type: Object, default: () => ({}) },
    state: { type: Object, default: () => ({}) },
  },
  data() {
    return { v: null };
  },
  computed: {
    /** Edits allowed by the node (its "Edits" option and the dashboard's login), and why not. */
    access() {
      return (this.v && this.v.access) || { allowed: false, mode: 'readonly', note: '' };
    },
  },
  created() {
    this.$socket.on('msg-input:' + this.id, this.dlmReceive);
    this.$socket.on('widget-load:' + this.id, this.dlmReceive);
    this.$socket.emit('widget-load', this.id);
  },
  unmounted() {
    this.$socket.off('msg-input:' + this.id, this.dlmReceive);
    this.$socket.off('widget-load:' + this.id, this.dlmReceive);
  },
  methods: {
    dlmReceive(msg) {
      if (!msg || !msg.payload || typeof msg.payload !== 'object') return;
      this.v = msg.payload;
      if (this.onView) this.onView(msg.payload);
    },
    dlmSend(topic, payload) {
      this.$socket.emit('widget-action', this.id, { topic, payload });
    },
  },
};
