from django.contrib import admin

from .models import JournalEntry, Rack, Site


class RackInline(admin.TabularInline):
    model = Rack
    extra = 0


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "status", "currency", "parent"]
    list_filter = ["status", "currency"]
    search_fields = ["code", "name", "facility"]
    inlines = [RackInline]


@admin.register(Rack)
class RackAdmin(admin.ModelAdmin):
    list_display = ["name", "site", "asset_tag", "u_height"]
    search_fields = ["name", "asset_tag", "site__name"]


@admin.register(JournalEntry)
class JournalEntryAdmin(admin.ModelAdmin):
    list_display = ["created", "kind", "assigned_object_type", "assigned_object_id"]
    list_filter = ["kind"]
